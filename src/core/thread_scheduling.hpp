#pragma once

#include <string_view>

namespace gatehouse {

// How a server thread competes for a CPU (Linux, per thread; no privilege needed).
//
// `batch` is SCHED_BATCH: a batch thread that is woken does not preempt the thread that woke it;
// it runs when that thread blocks or at the scheduler tick. Requests travel between the I/O
// thread and the worker pool twice each (there and back): with ordinary scheduling the woken side
// preempts the waker every time, which costs two context switches per hand-off and, during a
// 250 µs RS256 signature, evicts the signer's cache. As batch threads, the I/O thread reads every
// ready request before a worker runs, and a worker finishes its signature before the I/O thread
// writes the answers (bench/RESULTS.md has the measurements). Latency is unchanged when a CPU is
// idle (the woken thread goes there); under saturation a hand-off can wait for a running thread
// to block, which is why long jobs (password hashing) yield the CPU at short intervals.
//
// `nice_increment` lowers the thread's priority by that many nice steps from the value it starts
// with (0 keeps it). It adds, as nice(1) does, rather than sets: a thread starts with its
// creator's nice value, so a server started with `nice -n 15` keeps its background threads below
// its request threads (15 + 10, clamped to 19) instead of raising them to an absolute 10. Only
// threads no answer waits for are lowered: a lowered thread gets a small and uneven share of a
// CPU whenever anything else on the machine runs (see kHashingThreads in server_app.cpp).
struct ThreadScheduling {
  bool batch = false;
  int nice_increment = 0;
};

// Work that no request waits for (the session sweep, the mail outbox, the key poller: see
// PeriodicThread). Batch, so that waking it from a request never preempts the thread that is about
// to answer; lowered, so that on a saturated machine answers run first. Besides the answers'
// latency this keeps what an answer reveals the same: composing and sending the mail of a known
// address (a token write, an SMTP exchange) must not delay the 202 that an unknown address gets at
// once, or the delay would tell the two apart.
inline constexpr ThreadScheduling kBackgroundThreads{.batch = true, .nice_increment = 10};

// The nice value a thread at `current` gets when lowered by `increment`: their sum, within
// Linux's range [-20, 19].
int lowered_nice(int current, int increment);

// Applies `scheduling` to the calling thread; a refusal by the kernel is logged as a warning
// naming `who`, and the thread goes on with what it has.
void apply_to_this_thread(const ThreadScheduling& scheduling, std::string_view who);

}  // namespace gatehouse
