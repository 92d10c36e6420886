#include "net/blocking_pool.hpp"

namespace gatehouse::net {

BlockingPool::BlockingPool(std::string name, std::size_t threads, std::size_t queue_limit)
    : name_(std::move(name)), pool_(threads), limit_(queue_limit) {}

BlockingPool::~BlockingPool() { join(); }

void BlockingPool::join() { pool_.join(); }

}  // namespace gatehouse::net
