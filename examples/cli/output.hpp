// gramkit CLI — output: aligned text tables and a tiny JSON writer for
// --json (the library's JSON code is internal, so the CLI has its own).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gramkit/clock.hpp"

namespace gramkit::cli {

/// A JSON value built in memory and printed once. Objects keep insertion
/// order. Strings are escaped; invalid UTF-8 becomes U+FFFD.
class Json {
public:
    Json() = default;  // null
    Json(std::nullptr_t) {}
    Json(bool b) : kind_(Kind::boolean), bool_(b) {}
    Json(int n) : kind_(Kind::number), int_(n) {}
    Json(std::int64_t n) : kind_(Kind::number), int_(n) {}
    Json(std::size_t n) : kind_(Kind::number), int_(static_cast<std::int64_t>(n)) {}
    Json(std::string s) : kind_(Kind::string), str_(std::move(s)) {}
    Json(std::string_view s) : kind_(Kind::string), str_(s) {}
    Json(const char* s) : kind_(Kind::string), str_(s) {}
    template <class T>
    Json(const std::optional<T>& o) : Json() {
        if (o) *this = Json(*o);
    }
    /// Timestamps print as RFC 3339 UTC strings.
    Json(Timestamp t);

    static Json array() { Json j; j.kind_ = Kind::array; return j; }
    static Json object() { Json j; j.kind_ = Kind::object; return j; }
    static Json array_of(std::vector<std::string> items);

    /// Appends to an array.
    Json& push(Json value);
    /// Adds a member to an object (keys are not deduplicated).
    Json& set(std::string key, Json value);

    /// Pretty-printed with two-space indentation, no trailing newline.
    std::string dump() const;

private:
    enum class Kind { null, boolean, number, string, array, object };
    void write(std::string& out, int depth) const;

    Kind kind_ = Kind::null;
    bool bool_ = false;
    std::int64_t int_ = 0;
    std::string str_;
    std::vector<std::string> keys_;  // objects
    std::vector<Json> values_;       // arrays and objects
};

/// Prints a JSON document and a newline to stdout.
void print_json(const Json& value);

/// Columns aligned to the widest cell; cells are sanitized for the terminal.
class Table {
public:
    explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const noexcept { return rows_.empty(); }
    void print(std::ostream& out) const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

/// "key: value" lines with the values aligned, for `show` commands.
void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace gramkit::cli
