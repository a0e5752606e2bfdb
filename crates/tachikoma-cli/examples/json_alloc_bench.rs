//! Allocation-heavy throughput benchmark: every core encodes and decodes realistic chat
//! conversations as JSON, the way backend requests and responses are handled. It exists to
//! measure the global allocator (the `mimalloc` feature, musl's allocator, glibc's).
//!
//! `json_alloc_bench [ROUNDS]` prints one line of JSON with the throughput.

use std::time::Instant;

use tachikoma_primitives::{Message, Role};

fn conversation(seed: usize) -> Vec<Message> {
    (0..24)
        .map(|i| {
            let role = [Role::System, Role::User, Role::Assistant][(seed + i) % 3];
            let words = 8 + (seed * 7 + i * 13) % 120;
            let content = (0..words)
                .map(|w| format!("token{}", (seed + w * i) % 997))
                .collect::<Vec<_>>()
                .join(" ");
            Message::new(role, content)
        })
        .collect()
}

fn main() {
    let rounds: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 4000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: json_alloc_bench [ROUNDS > 0]");
            std::process::exit(2);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let start = Instant::now();
    let bytes: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut bytes = 0;
                    for round in 0..rounds {
                        let messages = conversation(t * rounds + round);
                        let json = serde_json::to_string(&messages).expect("messages serialize");
                        let back: Vec<Message> = serde_json::from_str(&json).expect("JSON parses");
                        assert_eq!(back.len(), messages.len());
                        bytes += json.len();
                    }
                    bytes
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    let seconds = start.elapsed().as_secs_f64();
    let info = tachikoma_common_core::BUILD_INFO;
    println!(
        "{{\"target\":\"{}\",\"allocator\":\"{}\",\"threads\":{threads},\"conversations\":{},\"seconds\":{seconds:.3},\"conversations_per_second\":{:.0},\"megabytes\":{}}}",
        info.target,
        tachikoma_common_core::ALLOCATOR,
        threads * rounds,
        (threads * rounds) as f64 / seconds,
        bytes / 1_000_000
    );
}
