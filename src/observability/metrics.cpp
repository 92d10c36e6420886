#include "observability/metrics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace gatehouse::observability {

namespace {

std::atomic<std::uint64_t> next_registry_id{1};

// "1.5", "0.005", "+Inf": the shortest text that reads back as the same double.
std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string label_text(const Labels& labels, const std::string& extra_name = {},
                       const std::string& extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  bool first = true;
  const auto add = [&](const std::string& name, const std::string& value) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  };
  for (const auto& [name, value] : labels) add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out += '}';
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

struct MetricRegistry::Block {
  explicit Block(std::size_t n) : cells(new std::atomic<std::uint64_t>[n]()) {}
  std::unique_ptr<std::atomic<std::uint64_t>[]> cells;
};

struct MetricRegistry::Series {
  enum class Kind { kCounter, kHistogram, kGauge, kCallback };
  Kind kind = Kind::kCounter;
  Labels labels;
  std::size_t cell = 0;  // kCounter, kHistogram (the first)
  std::shared_ptr<const std::vector<double>> bounds;
  std::shared_ptr<std::atomic<std::int64_t>> gauge;
  std::function<double()> read;
  bool sparse = false;
};

struct MetricRegistry::Family {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge, histogram
  std::vector<Series> series;
};

MetricRegistry::MetricRegistry(std::size_t capacity)
    : capacity_(capacity), id_(next_registry_id.fetch_add(1)) {}

MetricRegistry::~MetricRegistry() = default;

MetricRegistry::Block& MetricRegistry::local() const {
  // Each thread keeps the blocks it writes, by registry id (a registry's id is never reused, so a
  // destroyed registry's entry never matches again).
  thread_local std::vector<std::pair<std::uint64_t, Block*>> mine;
  for (const auto& [id, block] : mine) {
    if (id == id_) return *block;
  }
  const std::lock_guard lock(mutex_);
  blocks_.push_back(std::make_unique<Block>(capacity_));
  mine.emplace_back(id_, blocks_.back().get());
  return *blocks_.back();
}

std::size_t MetricRegistry::allocate(std::size_t cells) {
  if (next_cell_ + cells > capacity_) {
    throw std::length_error("MetricRegistry: more than " + std::to_string(capacity_) + " cells");
  }
  const std::size_t first = next_cell_;
  next_cell_ += cells;
  return first;
}

MetricRegistry::Family& MetricRegistry::family(const std::string& name, const std::string& help,
                                               const std::string& type, const Labels& labels) {
  for (auto& f : families_) {
    if (f->name != name) continue;
    if (f->type != type)
      throw std::logic_error(name + " registered as " + f->type + " and " + type);
    for (const Series& s : f->series) {
      if (s.labels == labels)
        throw std::logic_error(name + label_text(labels) + " registered twice");
    }
    return *f;
  }
  families_.push_back(std::make_unique<Family>(Family{name, help, type, {}}));
  return *families_.back();
}

Counter MetricRegistry::counter(const std::string& name, const std::string& help,
                                const Labels& labels, bool sparse) {
  const std::lock_guard lock(mutex_);
  Family& f = family(name, help, "counter", labels);
  Series s;
  s.kind = Series::Kind::kCounter;
  s.labels = labels;
  s.cell = allocate(1);
  s.sparse = sparse;
  f.series.push_back(std::move(s));
  return Counter(this, f.series.back().cell);
}

Histogram MetricRegistry::histogram(const std::string& name, const std::string& help,
                                    std::vector<double> bounds, const Labels& labels, bool sparse) {
  if (!std::is_sorted(bounds.begin(), bounds.end())) {
    throw std::logic_error(name + ": bucket bounds must ascend");
  }
  const std::lock_guard lock(mutex_);
  Family& f = family(name, help, "histogram", labels);
  Series s;
  s.kind = Series::Kind::kHistogram;
  s.labels = labels;
  s.bounds = std::make_shared<const std::vector<double>>(std::move(bounds));
  s.cell = allocate(s.bounds->size() + 2);  // the buckets, +Inf, the sum
  s.sparse = sparse;
  f.series.push_back(s);
  return Histogram(this, s.cell, s.bounds);
}

Gauge MetricRegistry::gauge(const std::string& name, const std::string& help,
                            const Labels& labels) {
  const std::lock_guard lock(mutex_);
  Family& f = family(name, help, "gauge", labels);
  Series s;
  s.kind = Series::Kind::kGauge;
  s.labels = labels;
  s.gauge = std::make_shared<std::atomic<std::int64_t>>(0);
  f.series.push_back(s);
  return Gauge(s.gauge);
}

void MetricRegistry::callback(const std::string& name, const std::string& help,
                              const std::string& type, const Labels& labels,
                              std::function<double()> read) {
  const std::lock_guard lock(mutex_);
  family(name, help, type, labels)
      .series.push_back(
          Series{.kind = Series::Kind::kCallback, .labels = labels, .read = std::move(read)});
}

std::uint64_t MetricRegistry::sum(std::size_t cell) const {
  std::uint64_t total = 0;
  for (const auto& block : blocks_) total += block->cells[cell].load(std::memory_order_relaxed);
  return total;
}

std::uint64_t MetricRegistry::value(const Counter& counter) const {
  const std::lock_guard lock(mutex_);
  return sum(counter.cell_);
}

std::string MetricRegistry::render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    std::string samples;
    for (const Series& s : f->series) {
      switch (s.kind) {
        case Series::Kind::kCounter: {
          const std::uint64_t v = sum(s.cell);
          if (s.sparse && v == 0) break;
          samples += f->name + label_text(s.labels) + " " + std::to_string(v) + "\n";
          break;
        }
        case Series::Kind::kGauge:
          samples += f->name + label_text(s.labels) + " " + std::to_string(s.gauge->load()) + "\n";
          break;
        case Series::Kind::kCallback:
          samples += f->name + label_text(s.labels) + " " + format_value(s.read()) + "\n";
          break;
        case Series::Kind::kHistogram: {
          const std::size_t n = s.bounds->size();
          if (s.sparse) {
            std::uint64_t count = 0;
            for (std::size_t i = 0; i <= n; ++i) count += sum(s.cell + i);
            if (count == 0) break;
          }
          std::uint64_t cumulative = 0;
          for (std::size_t i = 0; i <= n; ++i) {
            cumulative += sum(s.cell + i);
            const std::string le = i < n ? format_value((*s.bounds)[i]) : "+Inf";
            samples += f->name + "_bucket" + label_text(s.labels, "le", le) + " " +
                       std::to_string(cumulative) + "\n";
          }
          double total = 0;
          for (const auto& block : blocks_) {
            total +=
                std::bit_cast<double>(block->cells[s.cell + n + 1].load(std::memory_order_relaxed));
          }
          samples += f->name + "_sum" + label_text(s.labels) + " " + format_value(total) + "\n";
          samples +=
              f->name + "_count" + label_text(s.labels) + " " + std::to_string(cumulative) + "\n";
          break;
        }
      }
    }
    if (samples.empty()) continue;
    out += "# HELP " + f->name + " " + f->help + "\n";
    out += "# TYPE " + f->name + " " + f->type + "\n";
    out += samples;
  }
  return out;
}

void Counter::inc(std::uint64_t by) const {
  if (registry_ == nullptr) return;
  // One writer per cell: a plain load and store, no locked instruction.
  std::atomic<std::uint64_t>& cell = registry_->local().cells[cell_];
  cell.store(cell.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

void Histogram::observe(double value) const {
  if (registry_ == nullptr) return;
  MetricRegistry::Block& block = registry_->local();
  const std::vector<double>& bounds = *bounds_;
  const std::size_t bucket = static_cast<std::size_t>(
      std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  std::atomic<std::uint64_t>& cell = block.cells[first_cell_ + bucket];
  cell.store(cell.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::atomic<std::uint64_t>& sum = block.cells[first_cell_ + bounds.size() + 1];
  sum.store(std::bit_cast<std::uint64_t>(
                std::bit_cast<double>(sum.load(std::memory_order_relaxed)) + value),
            std::memory_order_relaxed);
}

}  // namespace gatehouse::observability
