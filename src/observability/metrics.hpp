#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::observability {

// Label pairs of one series, in the order they are printed: {{"route", "/api/users/me"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricRegistry;

// A monotonically increasing count. Recording is per thread and lock-free: each thread that
// records writes only its own block of cells (a relaxed load and store, no read-modify-write
// shared with another core), and a scrape sums the blocks. Copyable handle; valid while its
// registry lives. A default-constructed handle counts nothing (a component built without a
// registry, as in most unit tests).
class Counter {
 public:
  Counter() = default;
  void inc(std::uint64_t by = 1) const;

 private:
  friend class MetricRegistry;
  Counter(const MetricRegistry* registry, std::size_t cell) : registry_(registry), cell_(cell) {}
  const MetricRegistry* registry_ = nullptr;
  std::size_t cell_ = 0;
};

// Observations in buckets (upper bounds, ascending; +Inf is implied), with their sum and count,
// recorded per thread like Counter. A default-constructed handle records nothing.
class Histogram {
 public:
  Histogram() = default;
  void observe(double value) const;

 private:
  friend class MetricRegistry;
  Histogram(const MetricRegistry* registry, std::size_t first_cell,
            std::shared_ptr<const std::vector<double>> bounds)
      : registry_(registry), first_cell_(first_cell), bounds_(std::move(bounds)) {}
  const MetricRegistry* registry_ = nullptr;
  std::size_t first_cell_ = 0;  // one cell per bound, one for +Inf, then the sum (as a double)
  std::shared_ptr<const std::vector<double>> bounds_;
};

// A value that goes up and down (open connections): one shared atomic, for events that are rare
// next to requests (a connection opens once for many requests).
class Gauge {
 public:
  Gauge() = default;
  void add(std::int64_t delta) const { value_->fetch_add(delta, std::memory_order_relaxed); }
  std::int64_t value() const { return value_->load(std::memory_order_relaxed); }

 private:
  friend class MetricRegistry;
  explicit Gauge(std::shared_ptr<std::atomic<std::int64_t>> value) : value_(std::move(value)) {}
  std::shared_ptr<std::atomic<std::int64_t>> value_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
};

// Default latency buckets, in seconds: 0.5 ms to 10 s.
std::vector<double> latency_buckets();

// Every metric of the process and the Prometheus text exposition of them (format 0.0.4).
// Metrics are registered at start-up, before the threads that record them run; registering later
// is safe but each thread's block has a fixed number of cells (`capacity`), and registering past
// it throws std::length_error.
class MetricRegistry {
 public:
  explicit MetricRegistry(std::size_t capacity = 8192);
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  // A series of family `name` (same help and type for every series of a family). A `sparse`
  // counter or histogram is printed only once it counted something (route x status pairs that
  // never happened stay out of the scrape). Registering a series twice (same name and labels)
  // throws std::logic_error: the scrape would show it twice.
  Counter counter(const std::string& name, const std::string& help, const Labels& labels = {},
                  bool sparse = false);
  Histogram histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                      const Labels& labels = {}, bool sparse = false);
  Gauge gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  // A gauge read at scrape time (queue depth, resident memory).
  void gauge_callback(const std::string& name, const std::string& help, const Labels& labels,
                      std::function<double()> read) {
    callback(name, help, "gauge", labels, std::move(read));
  }
  // A counter read at scrape time (CPU seconds from /proc).
  void counter_callback(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<double()> read) {
    callback(name, help, "counter", labels, std::move(read));
  }

  // The text exposition of every metric.
  std::string render() const;

  // The sum of a counter over every thread (tests, and render()).
  std::uint64_t value(const Counter& counter) const;

 private:
  friend class Counter;
  friend class Histogram;
  struct Block;
  struct Family;
  struct Series;

  // The calling thread's block, made on its first use.
  Block& local() const;
  void callback(const std::string& name, const std::string& help, const std::string& type,
                const Labels& labels, std::function<double()> read);
  std::size_t allocate(std::size_t cells);
  // The family of `name`, made if new; throws when it has a series with `labels` already.
  Family& family(const std::string& name, const std::string& help, const std::string& type,
                 const Labels& labels);
  std::uint64_t sum(std::size_t cell) const;  // callers hold mutex_

  const std::size_t capacity_;
  const std::uint64_t id_;  // tells this registry's blocks from another's in a thread's cache
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Block>> blocks_;  // one per thread that recorded
  std::size_t next_cell_ = 0;
  std::vector<std::unique_ptr<Family>> families_;  // in registration order
};

// Escapes a label value for the text format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

}  // namespace gatehouse::observability
