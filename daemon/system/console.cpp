#include "daemon/system/console.hpp"

#include <spdlog/spdlog.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

constexpr auto kReportEvery = std::chrono::seconds(1);
// In pieces of a pipe's default size: each one that is taken is progress (a pipe read slowly
// is moving, not stalled), whatever the size of the batch.
constexpr std::size_t kPiece = 64 * 1024;

std::mutex consoles_mutex;
Console* consoles[3] = {nullptr, nullptr, nullptr};

// Whether spdlog's default logger may be used for drop reports (set_daemon_log_open).
std::mutex log_mutex;
bool log_open = false;

}  // namespace

Console& Console::of(int fd) {
  const int i = fd == 2 ? 2 : 1;
  std::lock_guard<std::mutex> lock(consoles_mutex);
  if (consoles[i] == nullptr) consoles[i] = new Console(i);  // never deleted: see the header
  return *consoles[i];
}

bool Console::finish_all(std::chrono::milliseconds within) {
  bool all = true;
  for (int i : {1, 2}) {
    Console* c = nullptr;
    {
      std::lock_guard<std::mutex> lock(consoles_mutex);
      c = consoles[i];
    }
    if (c != nullptr && !c->finish(within)) all = false;
  }
  return all;
}

void Console::set_daemon_log_open(bool open) {
  std::lock_guard<std::mutex> lock(log_mutex);
  log_open = open;
}

Console::Console(int fd, std::size_t limit, std::chrono::milliseconds stall_after)
    : fd_(fd), limit_(limit), stall_after_(stall_after) {}

Console::~Console() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Console::start_locked() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

bool Console::stalled_locked() const {
  return in_flight_ > 0 && std::chrono::steady_clock::now() - last_progress_ >= stall_after_;
}

std::size_t Console::put_locked(std::string_view lines, std::string_view who) {
  std::size_t fits = 0;
  if (broken_.empty() && buffer_.size() < limit_) {
    // Whole lines only: up to the last line end that still fits.
    const std::size_t room = limit_ - buffer_.size();
    if (lines.size() <= room) {
      fits = lines.size();
    } else if (const auto nl = lines.rfind('\n', room - 1); nl != std::string_view::npos) {
      fits = nl + 1;
    } else if (buffer_.empty()) {
      fits = lines.find('\n') + 1;  // one line longer than the whole buffer: alone
    }
  }
  buffer_.append(lines.substr(0, fits));
  if (fits > 0) start_locked();
  if (fits == lines.size() || (broken_.empty() && !stalled_locked())) return fits;
  // Stalled (or broken): the rest goes, counted.
  const std::uint64_t lost = lines.size() - fits;
  dropped_total_ += lost;
  auto it = drops_.find(who);
  if (it == drops_.end()) it = drops_.emplace(std::string(who), 0).first;
  it->second += lost;
  start_locked();  // it reports the drops
  return lines.size();
}

std::size_t Console::put(std::string_view lines, std::string_view who) {
  if (lines.empty()) return 0;
  std::size_t dealt;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dealt = put_locked(lines, who);
  }
  wake_.notify_one();
  return dealt;
}

void Console::when_room(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!buffer_.empty() && broken_.empty()) {
      room_waiters_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

bool Console::wait_while_moving(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds within,
                                const std::function<bool()>& done) {
  // Stalled: nothing written for stall_after since the wait began (a console that was stuck
  // before it may be read again now).
  const auto began = std::chrono::steady_clock::now();
  const auto deadline = began + within;
  while (!done()) {
    const auto stall_at = std::max(last_progress_, began) + stall_after_;
    const auto now = std::chrono::steady_clock::now();
    if (!broken_.empty() || (in_flight_ > 0 && now >= stall_at) || now >= deadline) return false;
    room_.wait_until(lock, std::min(deadline, in_flight_ > 0 ? stall_at : now + stall_after_));
  }
  return true;
}

void Console::put_all(std::string_view lines, std::string_view who) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!lines.empty()) {
    lines.remove_prefix(put_locked(lines, who));
    wake_.notify_one();
    if (lines.empty()) break;
    // Until the writer takes the buffer; if it stalls first, put_locked drops the rest.
    const std::uint64_t taken = taken_;
    wait_while_moving(lock, std::chrono::hours(1), [&] { return taken_ != taken; });
  }
}

bool Console::flush(std::chrono::milliseconds within) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!thread_.joinable()) return true;
  return wait_while_moving(lock, within, [&] { return buffer_.empty() && in_flight_ == 0; });
}

bool Console::finish(std::chrono::milliseconds within) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!thread_.joinable()) return true;
  finishing_ = true;
  wake_.notify_one();
  return wait_while_moving(lock, within, [&] { return buffer_.empty() && in_flight_ == 0 && drops_.empty(); });
}

std::uint64_t Console::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_total_;
}

void Console::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto last_report = std::chrono::steady_clock::now() - kReportEvery;
  for (;;) {
    const auto have_work = [&] { return stopping_ || !buffer_.empty() || (finishing_ && !drops_.empty()); };
    if (drops_.empty()) {
      wake_.wait(lock, have_work);  // no timeout: an idle console never wakes
    } else {
      wake_.wait_until(lock, last_report + kReportEvery, have_work);
    }
    if (!drops_.empty() && (stopping_ || finishing_ || std::chrono::steady_clock::now() >= last_report + kReportEvery)) {
      report_drops(lock);
      last_report = std::chrono::steady_clock::now();
      room_.notify_all();  // finish() waits for the report
    }
    if (buffer_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::string batch;
    batch.swap(buffer_);
    in_flight_ = batch.size();
    ++taken_;
    last_progress_ = std::chrono::steady_clock::now();
    const bool broken = !broken_.empty();
    auto waiters = std::move(room_waiters_);
    room_waiters_.clear();
    lock.unlock();
    room_.notify_all();
    for (auto& fn : waiters) fn();
    const int err = broken || write_all(batch) ? 0 : errno;
    lock.lock();
    in_flight_ = 0;
    if (err != 0 && broken_.empty()) {
      broken_ = std::strerror(err);
      dropped_total_ += batch.size();
      drops_["konnectd (a write failed: " + broken_ + ")"] += batch.size();
      // Whoever waits for room: put() drops from now on, so nobody waits any more.
      auto stuck = std::move(room_waiters_);
      room_waiters_.clear();
      lock.unlock();
      for (auto& fn : stuck) fn();
      lock.lock();
    }
    room_.notify_all();
  }
}

bool Console::write_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), std::min(data.size(), kPiece));
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      std::lock_guard<std::mutex> lock(mutex_);
      last_progress_ = std::chrono::steady_clock::now();
      room_.notify_all();  // a flush() waiting to see progress
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return false;
    // Someone left the console's file description non-blocking: wait until it takes more.
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, -1) < 0 && errno != EINTR) return false;
  }
  return true;
}

void Console::report_drops(std::unique_lock<std::mutex>& lock) {
  auto drops = std::move(drops_);
  drops_.clear();
  const bool to_console = stopping_ || finishing_;
  lock.unlock();
  const char* stream = fd_ == 2 ? "stderr" : fd_ == 1 ? "stdout" : "console";
  for (const auto& [who, bytes] : drops) {
    if (!to_console) {
      std::lock_guard<std::mutex> gate(log_mutex);
      if (log_open) {
        spdlog::warn("Console ({}): dropped {} bytes of {}'s output: the console could not keep up", stream, bytes,
                     who);
        continue;
      }
    }
    // At exit (or with no daemon log) the count goes to the console itself, last.
    const std::string line = "konnectd | dropped " + std::to_string(bytes) + " bytes of " + who +
                             "'s output: the console could not keep up\n";
    write_all(line);
  }
  lock.lock();
}

}  // namespace konnect
