// gramkit — structured logging.
//
// Every record is an event name plus key/value fields, e.g.
//   logger.info("accounts", "account.created", {{"account_id", "42"}});
// The default sink writes one logfmt line per record to stderr:
//   ts=2026-11-25T11:00:00.123456Z level=info component=accounts event=account.created account_id=42
// Hosts route records elsewhere by installing their own sink.
//
// Secrets (passwords, cookies, keys, tokens) must never be passed as field
// values (DESIGN.md §5); the logger cannot tell them apart from other text.
#pragma once

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit {

/// Severity, in increasing order. `off` as a logger's minimum level disables
/// all output; it is not a level to log at.
enum class LogLevel : int { trace = 0, debug = 1, info = 2, warn = 3, error = 4, off = 5 };

/// "trace", "debug", "info", "warn", "error", "off" ("unknown" for values no
/// enumerator names). The returned view refers to static storage.
GRAMKIT_API std::string_view to_string(LogLevel level) noexcept;

/// Inverse of to_string, case-insensitive; "warning" is accepted for warn.
/// Errors: invalid_argument naming the rejected value.
GRAMKIT_API Result<LogLevel> parse_log_level(std::string_view text);

/// One key/value pair of a record. Values are text; format numbers with
/// std::to_string or std::format at the call site.
struct LogField {
    std::string key;
    std::string value;
};

/// A record as handed to a sink. All views point into the caller's data and
/// are valid only for the duration of the sink call: a sink that keeps a
/// record (queues it, batches it) must copy what it needs.
struct LogRecord {
    Timestamp time;
    LogLevel level = LogLevel::info;
    std::string_view component;  // subsystem, e.g. "accounts", "downloads"
    std::string_view event;      // dotted event name, e.g. "account.created"
    std::span<const LogField> fields;
};

/// Receives records. Called on the logging thread, one call at a time per
/// Logger (calls are serialised by the logger's mutex), so a sink needs no
/// locking of its own unless it is shared by several loggers. A sink must
/// not change the sink of the Logger that calls it (deadlock); records it
/// logs through that Logger (directly or via other loggers' sinks) are
/// dropped rather than deadlocking.
/// Exceptions thrown by a sink are swallowed and the record is dropped:
/// logging never fails the operation being logged.
using LogSink = std::function<void(const LogRecord&)>;

/// One logfmt line for the record, without the trailing newline. Values
/// (and component/event) are double-quoted when they are empty or contain a
/// space, '"', '=', a control character or invalid UTF-8; inside quotes '"'
/// and '\' are backslash-escaped, \n \r \t use their short forms, other
/// control characters become \u00XX and invalid UTF-8 bytes \xNN. Keys are
/// never quoted: characters other than printable ASCII without ' ', '=' and
/// '"' are replaced by '_'. Thread-safe (pure function).
GRAMKIT_API std::string format_logfmt(const LogRecord& record);

/// The default sink: format_logfmt + '\n', written to stderr with a single
/// fwrite so lines from different loggers do not interleave mid-line.
GRAMKIT_API void stderr_log_sink(const LogRecord& record);

/// Filters records by a minimum level and passes the rest to a sink.
///
/// Thread-safety: every member function may be called from any thread
/// concurrently. The minimum level is an atomic, so `enabled` costs one
/// relaxed load; sink calls are serialised by a mutex.
class GRAMKIT_API Logger {
public:
    /// `clock` supplies record timestamps (nullptr = SystemClock::shared());
    /// `sink` nullptr = stderr_log_sink. The logger shares ownership of the
    /// clock and owns its copy of the sink.
    explicit Logger(std::shared_ptr<const Clock> clock = nullptr, LogLevel min_level = LogLevel::info,
                    LogSink sink = nullptr);

    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    /// Records below `level` are dropped; LogLevel::off drops everything.
    void set_level(LogLevel level) noexcept;
    LogLevel level() const noexcept;

    /// Replaces the sink (nullptr = stderr_log_sink). Waits for a sink call
    /// in progress to finish; after return the old sink is never called
    /// again and has been destroyed (unless copies of it live elsewhere).
    void set_sink(LogSink sink);

    /// Whether a record at `level` would be passed to the sink. Check it
    /// before building expensive fields: the field strings in an initializer
    /// list are constructed even when the record is then dropped.
    bool enabled(LogLevel level) const noexcept;

    /// Logs one record if `level` is enabled. The fields are read during
    /// the call only. Never throws (failures drop the record).
    void log(LogLevel level, std::string_view component, std::string_view event,
             std::initializer_list<LogField> fields = {}) noexcept;
    /// Same, for field lists built at run time.
    void log(LogLevel level, std::string_view component, std::string_view event,
             std::span<const LogField> fields) noexcept;

    void trace(std::string_view component, std::string_view event,
               std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::trace, component, event, fields);
    }
    void debug(std::string_view component, std::string_view event,
               std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::debug, component, event, fields);
    }
    void info(std::string_view component, std::string_view event,
              std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::info, component, event, fields);
    }
    void warn(std::string_view component, std::string_view event,
              std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::warn, component, event, fields);
    }
    void error(std::string_view component, std::string_view event,
               std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::error, component, event, fields);
    }

private:
    std::shared_ptr<const Clock> clock_;
    std::atomic<LogLevel> min_level_;
    std::mutex sink_mu_;  // guards sink_ and serialises calls into it
    LogSink sink_;
};

}  // namespace gramkit
