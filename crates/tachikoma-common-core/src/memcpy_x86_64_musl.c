/*
 * memcpy for static x86_64 musl binaries.
 *
 * musl's own x86_64 memcpy moves 8 bytes at a time with `rep movsq`, whose start-up cost
 * dominates the small copies Rust's formatting and serde_json make: in the allocation
 * benchmark it took about a third of the time, against 11 % for glibc's (docs/musl-performance.md).
 * This one copies up to 256 bytes with overlapping unaligned moves (SSE2, in every x86_64 CPU)
 * and leaves larger copies to `rep movsb` (fast strings). The build script compiles it only for
 * x86_64 musl; defined here, the linker takes it before libc.a's.
 *
 * musl's memmove jumps to its memcpy's forward copy, `__memcpy_fwd`, when the destination lies
 * below the source; the same object defines both, so this file defines both too (else libc.a's
 * object is linked as well and memcpy is defined twice). Hence no `restrict`: every load of a
 * block happens before the stores that could overlap it, and `rep movsb` moves forward.
 */
#include <emmintrin.h>
#include <stddef.h>
#include <stdint.h>

void *tachikoma_memcpy(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	if (n <= 16) {
		if (n >= 8) {
			uint64_t head, tail;
			__builtin_memcpy(&head, s, 8);
			__builtin_memcpy(&tail, s + n - 8, 8);
			__builtin_memcpy(d, &head, 8);
			__builtin_memcpy(d + n - 8, &tail, 8);
		} else if (n >= 4) {
			uint32_t head, tail;
			__builtin_memcpy(&head, s, 4);
			__builtin_memcpy(&tail, s + n - 4, 4);
			__builtin_memcpy(d, &head, 4);
			__builtin_memcpy(d + n - 4, &tail, 4);
		} else if (n) {
			unsigned char first = s[0], middle = s[n / 2], last = s[n - 1];
			d[0] = first;
			d[n / 2] = middle;
			d[n - 1] = last;
		}
		return dest;
	}
	if (n <= 256) {
		/* Whole 32-byte blocks, then the last 32 (or, below 32, the last 16) bytes again. */
		size_t tail_a = n <= 32 ? n - 16 : n - 32;
		__m128i a = _mm_loadu_si128((const __m128i *)(s + tail_a));
		__m128i b = _mm_loadu_si128((const __m128i *)(s + n - 16));
		__m128i head = _mm_loadu_si128((const __m128i *)s);
		for (size_t i = 0; i + 32 <= n; i += 32) {
			__m128i x = _mm_loadu_si128((const __m128i *)(s + i));
			__m128i y = _mm_loadu_si128((const __m128i *)(s + i + 16));
			_mm_storeu_si128((__m128i *)(d + i), x);
			_mm_storeu_si128((__m128i *)(d + i + 16), y);
		}
		_mm_storeu_si128((__m128i *)d, head);
		_mm_storeu_si128((__m128i *)(d + tail_a), a);
		_mm_storeu_si128((__m128i *)(d + n - 16), b);
		return dest;
	}
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dest;
}

void *memcpy(void *restrict dest, const void *restrict src, size_t n)
	__attribute__((alias("tachikoma_memcpy")));
void *__memcpy_fwd(void *dest, const void *src, size_t n) __attribute__((alias("tachikoma_memcpy")));
