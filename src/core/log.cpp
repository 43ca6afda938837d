// gramkit — structured logging: level filtering, serialised sinks and the
// logfmt line format of the default stderr sink.
#include "gramkit/log.hpp"

#include <cstdio>

#include "core/json.hpp"  // json::next_utf8_sequence
#include "gramkit/time_format.hpp"

namespace gramkit {

std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::trace: return "trace";
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
        case LogLevel::off: return "off";
    }
    return "unknown";
}

Result<LogLevel> parse_log_level(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    for (LogLevel level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error,
                           LogLevel::off}) {
        if (lower == to_string(level)) return level;
    }
    if (lower == "warning") return LogLevel::warn;

    // The value may come from an environment variable or config file: quote
    // a bounded, escaped form of it.
    std::string quoted;
    json::append_quoted(quoted, text.substr(0, 64));
    return fail(ErrorCode::invalid_argument,
                "invalid log level " + quoted + " (expected trace, debug, info, warn, error or off)");
}

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool needs_quotes(std::string_view value) {
    if (value.empty()) return true;  // `key=` would be ambiguous to readers
    std::size_t pos = 0;
    while (pos < value.size()) {
        const unsigned char c = static_cast<unsigned char>(value[pos]);
        if (c >= 0x80) {
            const json::Utf8Step step = json::next_utf8_sequence(value, pos);
            if (!step.valid) return true;
            pos += step.length;
            continue;
        }
        if (c == ' ' || c == '"' || c == '=' || is_control(c)) return true;
        ++pos;
    }
    return false;
}

void append_value(std::string& out, std::string_view value) {
    if (!needs_quotes(value)) {
        out.append(value);
        return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t pos = 0;
    while (pos < value.size()) {
        const unsigned char c = static_cast<unsigned char>(value[pos]);
        if (c >= 0x80) {
            const json::Utf8Step step = json::next_utf8_sequence(value, pos);
            if (step.valid) {
                out.append(value.substr(pos, step.length));
            } else {
                // Keep the raw bytes visible for debugging without emitting
                // invalid UTF-8 that could upset log collectors.
                for (std::size_t i = pos; i < pos + step.length; ++i) {
                    const auto b = static_cast<unsigned char>(value[i]);
                    out.append("\\x");
                    out.push_back(kHex[b >> 4]);
                    out.push_back(kHex[b & 0xF]);
                }
            }
            pos += step.length;
            continue;
        }
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (is_control(c)) {
                    out.append("\\u00");
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xF]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++pos;
    }
    out.push_back('"');
}

// Keys come from code, but a stray space or '=' would break the line's
// structure, so anything outside printable ASCII (minus ' ', '=', '"')
// becomes '_'.
void append_key(std::string& out, std::string_view key) {
    if (key.empty()) {
        out.push_back('_');
        return;
    }
    for (const char ch : key) {
        const auto c = static_cast<unsigned char>(ch);
        const bool plain = c > 0x20 && c < 0x7F && c != '=' && c != '"';
        out.push_back(plain ? ch : '_');
    }
}

void append_pair(std::string& out, std::string_view key, std::string_view value) {
    if (!out.empty()) out.push_back(' ');
    append_key(out, key);
    out.push_back('=');
    append_value(out, value);
}

// Loggers whose sinks are running on this thread, innermost first (a sink
// may log through another Logger, whose sink may log again...). log() drops
// a record for a logger in this chain instead of deadlocking on its mutex.
struct ActiveSink {
    const Logger* logger;
    const ActiveSink* outer;
};
thread_local const ActiveSink* active_sinks = nullptr;

bool sink_running_on_this_thread(const Logger* logger) {
    for (const ActiveSink* a = active_sinks; a != nullptr; a = a->outer) {
        if (a->logger == logger) return true;
    }
    return false;
}

}  // namespace

std::string format_logfmt(const LogRecord& record) {
    std::string line;
    line.reserve(96 + record.fields.size() * 24);
    append_pair(line, "ts", format_timestamp_utc(record.time));
    append_pair(line, "level", to_string(record.level));
    append_pair(line, "component", record.component);
    append_pair(line, "event", record.event);
    for (const LogField& field : record.fields) append_pair(line, field.key, field.value);
    return line;
}

void stderr_log_sink(const LogRecord& record) {
    std::string line = format_logfmt(record);
    line.push_back('\n');
    // One fwrite: stdio locks the stream per call, so concurrent loggers
    // never interleave inside a line.
    std::fwrite(line.data(), 1, line.size(), stderr);
}

Logger::Logger(std::shared_ptr<const Clock> clock, LogLevel min_level, LogSink sink)
    : clock_(clock ? std::move(clock) : SystemClock::shared()),
      min_level_(min_level),
      sink_(sink ? std::move(sink) : LogSink(stderr_log_sink)) {}

void Logger::set_level(LogLevel level) noexcept { min_level_.store(level, std::memory_order_relaxed); }

LogLevel Logger::level() const noexcept { return min_level_.load(std::memory_order_relaxed); }

void Logger::set_sink(LogSink sink) {
    LogSink replacement = sink ? std::move(sink) : LogSink(stderr_log_sink);
    {
        std::lock_guard lock(sink_mu_);
        sink_.swap(replacement);
    }
    // The old sink (now in `replacement`) is destroyed here, outside the
    // lock, in case its destructor is slow (flushing a file, joining a thread).
}

bool Logger::enabled(LogLevel level) const noexcept {
    // Relaxed is enough: a level change need not be ordered with anything
    // else, it only has to become visible eventually.
    return level != LogLevel::off && level >= min_level_.load(std::memory_order_relaxed);
}

void Logger::log(LogLevel level, std::string_view component, std::string_view event,
                 std::initializer_list<LogField> fields) noexcept {
    log(level, component, event, std::span<const LogField>(fields.begin(), fields.size()));
}

void Logger::log(LogLevel level, std::string_view component, std::string_view event,
                 std::span<const LogField> fields) noexcept {
    if (!enabled(level)) return;
    if (sink_running_on_this_thread(this)) return;  // re-entered from our sink
    const LogRecord record{clock_->now(), level, component, event, fields};
    try {
        std::lock_guard lock(sink_mu_);
        const ActiveSink marker{this, active_sinks};
        active_sinks = &marker;
        struct PopMarker {
            const ActiveSink* outer;
            ~PopMarker() { active_sinks = outer; }
        } pop_marker{marker.outer};
        sink_(record);
    } catch (...) {
        // A failing sink (full disk, bad_alloc, a bug in host code) must not
        // turn into a failure of the operation that was being logged.
    }
}

}  // namespace gramkit
