/* A test-only stand-in for Windows' bcryptprimitives.dll, which Debian 12's Wine 8.0 lacks: Rust's
 * std (1.78 and later) imports ProcessPrng from it, so without it Wine refuses to start any Rust
 * .exe. ProcessPrng fills a buffer with random bytes; RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has, does the same. scripts/wine-run.sh builds it; it never ships. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!RtlGenRandom(data, chunk)) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
