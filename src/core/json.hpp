// gramkit — internal JSON toolkit (not part of the public API).
//
// JSON is the language of the operation registry (DESIGN.md §2): params and
// results of every operation, the C ABI and the REST server. This header
// offers four small pieces:
//   Value        an owned JSON tree (params, config, small results)
//   parse        text -> Value, via simdjson (validates UTF-8 and syntax)
//   Writer       streaming serialisation that can never emit invalid JSON
//   ObjectReader strict, typed field extraction with errors naming the field
// Hot paths that read large Instagram answers should use simdjson's
// on-demand API directly instead of building a Value tree.
//
// Thread-safety: all classes are plain values with no shared state; a
// single object must not be mutated from two threads at once. parse() may be
// called from any number of threads concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "gramkit/error.hpp"

namespace gramkit::json {

enum class Type { null, boolean, integer, floating, string, array, object };

/// The JSON-level name of a type for messages: "null", "boolean", "number"
/// (integer and floating alike), "string", "array", "object".
std::string_view type_name(Type type) noexcept;

/// An owned JSON value. Numbers are kept as int64 when the text was an
/// integer that fits, otherwise as double. Objects keep their members in
/// document order (duplicates included, as parsed); `find` returns the first
/// member with the key.
class Value {
public:
    using Array = std::vector<Value>;
    using Member = std::pair<std::string, Value>;
    using Object = std::vector<Member>;

    Value() noexcept = default;  // null
    Value(std::nullptr_t) noexcept {}
    Value(bool b) noexcept : data_(b) {}
    // Every integer type except bool (and char types, which are text-ish),
    // so that `Value(5)` and `Value(std::size_t{5})` are unambiguous.
    // Unsigned values above INT64_MAX are stored as double.
    template <class T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
    Value(T n) noexcept {
        if constexpr (std::is_unsigned_v<T>) {
            if (static_cast<std::uint64_t>(n) > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                data_ = static_cast<double>(n);
                return;
            }
        }
        data_ = static_cast<std::int64_t>(n);
    }
    Value(double d) noexcept : data_(d) {}
    Value(std::string s) noexcept : data_(std::move(s)) {}
    Value(std::string_view s) : data_(std::string(s)) {}
    Value(const char* s) : data_(std::string(s)) {}
    Value(Array a) noexcept : data_(std::move(a)) {}
    Value(Object o) noexcept : data_(std::move(o)) {}

    static Value array() { return Value(Array{}); }
    static Value object() { return Value(Object{}); }

    Type type() const noexcept { return static_cast<Type>(data_.index()); }
    bool is_null() const noexcept { return type() == Type::null; }
    bool is_bool() const noexcept { return type() == Type::boolean; }
    bool is_int() const noexcept { return type() == Type::integer; }
    bool is_double() const noexcept { return type() == Type::floating; }
    bool is_number() const noexcept { return is_int() || is_double(); }
    bool is_string() const noexcept { return type() == Type::string; }
    bool is_array() const noexcept { return type() == Type::array; }
    bool is_object() const noexcept { return type() == Type::object; }

    // Accessors. Calling one on a value of another type is a bug and throws
    // std::bad_variant_access; check the type first (or use ObjectReader).
    bool as_bool() const { return std::get<bool>(data_); }
    std::int64_t as_int() const { return std::get<std::int64_t>(data_); }
    /// Integers are converted (exactly below 2^53).
    double as_double() const {
        return is_int() ? static_cast<double>(as_int()) : std::get<double>(data_);
    }
    const std::string& as_string() const { return std::get<std::string>(data_); }
    std::string& as_string() { return std::get<std::string>(data_); }
    const Array& as_array() const { return std::get<Array>(data_); }
    Array& as_array() { return std::get<Array>(data_); }
    const Object& as_object() const { return std::get<Object>(data_); }
    Object& as_object() { return std::get<Object>(data_); }

    /// First member named `key`, or nullptr if absent or this is not an
    /// object. The pointer is valid until this value is modified or destroyed.
    const Value* find(std::string_view key) const noexcept;

    /// Appends a member (object only; duplicates are not checked).
    Value& set(std::string key, Value value) {
        as_object().emplace_back(std::move(key), std::move(value));
        return *this;
    }
    /// Appends an element (array only).
    Value& push_back(Value value) {
        as_array().push_back(std::move(value));
        return *this;
    }

    /// Structural equality: same types (int 1 != double 1.0), same members
    /// in the same order.
    friend bool operator==(const Value& a, const Value& b) noexcept { return a.data_ == b.data_; }

private:
    // Alternative order must match enum Type.
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> data_;
};

/// Upper bound for parse()'s max_depth: the tree is built recursively, so
/// this also bounds stack use.
inline constexpr std::size_t kMaxParseDepth = 1024;

/// Parses one JSON document (RFC 8259; surrounding whitespace allowed,
/// anything else after the value is an error). Strings must be valid UTF-8.
/// Nesting deeper than `max_depth` arrays/objects ("[]" has depth 1) is
/// rejected; max_depth is clamped to kMaxParseDepth.
/// Numbers: integers in int64 range become integers; integers in
/// (INT64_MAX, UINT64_MAX] become doubles (precision may be lost); integers
/// beyond UINT64_MAX and numbers beyond the double range are rejected
/// ("malformed JSON: Problem while parsing a number").
/// Errors: invalid_argument "malformed JSON: <reason>" or
/// "JSON nesting deeper than <max_depth>".
/// Thread-safe; the input is copied (simdjson needs padding).
Result<Value> parse(std::string_view text, std::size_t max_depth = 64);

/// Serialises a value compactly (no whitespace). Never fails: invalid UTF-8
/// in strings becomes U+FFFD and non-finite doubles become null.
std::string to_string(const Value& value);

/// Streaming JSON writer that appends to a caller-owned string.
///
///   std::string out;
///   json::Writer w(out);
///   w.begin_object().key("id").value(std::int64_t{42}).key("tags")
///    .begin_array().value("a").end_array().end_object();
///
/// Commas and colons are inserted automatically. Strings are escaped per
/// RFC 8259 and invalid UTF-8 is replaced by U+FFFD, so the output is valid
/// JSON whatever bytes the strings contain. Doubles use the shortest text
/// that round-trips, always with a '.' or exponent so they read back as
/// doubles; NaN and infinities become null.
/// Structural misuse (a value where a key is expected, unbalanced end_*,
/// a second top-level value) is a bug and throws std::logic_error.
/// The string must outlive the writer; the writer does not own it.
class Writer {
public:
    explicit Writer(std::string& out) noexcept : out_(&out) {}

    Writer& begin_object();
    Writer& end_object();
    Writer& begin_array();
    Writer& end_array();
    Writer& key(std::string_view name);

    Writer& value(std::string_view text);
    Writer& value(const char* text) { return value(std::string_view(text)); }
    Writer& value(const std::string& text) { return value(std::string_view(text)); }
    Writer& value(bool b);
    Writer& value(std::nullptr_t);
    Writer& value(double d);
    Writer& value(std::int64_t n);
    Writer& value(std::uint64_t n);
    // Other integer widths (int, unsigned, long long, ...) without ambiguity.
    template <class T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                 !std::is_same_v<T, std::int64_t> && !std::is_same_v<T, std::uint64_t>)
    Writer& value(T n) {
        if constexpr (std::is_signed_v<T>) return value(static_cast<std::int64_t>(n));
        else return value(static_cast<std::uint64_t>(n));
    }
    /// Writes a whole Value.
    Writer& value(const Value& v);

    /// Inserts `json` verbatim as one value (e.g. a result serialised
    /// elsewhere). The caller guarantees it is a single valid JSON value.
    Writer& raw(std::string_view json);

    /// True once one complete top-level value has been written.
    bool complete() const noexcept { return stack_.empty() && wrote_top_level_; }

private:
    struct Frame {
        bool is_object;
        bool has_members = false;
        bool after_key = false;  // object: a key was written, value expected
    };
    // Emits the separator that must precede a value and checks it is legal.
    void before_value();
    void append_string(std::string_view text);

    std::string* out_;
    std::vector<Frame> stack_;
    bool wrote_top_level_ = false;
};

/// Appends `text` as a quoted JSON string (the Writer's escaping) to `out`.
void append_quoted(std::string& out, std::string_view text);

/// UTF-8 decoding step shared by the JSON writer and the log formatter.
/// At text[pos] (pos < text.size()) either a valid sequence of `length`
/// bytes starts (valid = true), or an invalid one: then `length` is the
/// "maximal subpart" (Unicode §3.9 U+FFFD substitution practice) — the bytes
/// a decoder should replace by one U+FFFD, at least 1. Overlong forms,
/// surrogates (U+D800..U+DFFF) and code points above U+10FFFF are invalid.
struct Utf8Step {
    std::size_t length;
    bool valid;
};
Utf8Step next_utf8_sequence(std::string_view text, std::size_t pos) noexcept;

/// Strict field extraction from a JSON object with errors that name the
/// field by its dotted path, e.g. "'storage.pool_size' must be between 1
/// and 64". Error details = the dotted path.
///
/// Typical use:
///   ObjectReader r(params, "storage");
///   GK_ASSIGN_OR_RETURN(auto url, r.required_string("url"));
///   GK_ASSIGN_OR_RETURN(auto pool, r.optional_int("pool_size", 1, 64));
///   GK_TRY(r.reject_unknown_keys());
///
/// Every lookup marks the key as known, so reject_unknown_keys() reports
/// exactly the keys nobody asked for (typos in config files). An explicit
/// null counts as absent for optional_* lookups. A key that occurs more than
/// once in the object is an error for every lookup of it (ambiguous input).
/// Required lookups report a missing key as "'<path>' is required" and an
/// explicit null as the wrong type ("must be a string (got null)").
/// If the value given is not an object, every lookup fails with
/// "'<path>' must be an object (got <type>)".
///
/// The reader keeps a pointer to `object`, which must outlive it; returned
/// `const Value*` point into `object`. Not thread-safe (records lookups).
class ObjectReader {
public:
    ObjectReader(const Value& object, std::string path_prefix);

    /// "<prefix>.<key>", or just "<key>" when the prefix is empty. Use it as
    /// the prefix of a reader for a nested object.
    std::string path(std::string_view key) const;

    /// Raw access: the member or nullptr (also marks the key as known).
    Result<const Value*> get(std::string_view key);

    Result<std::optional<std::string>> optional_string(std::string_view key);
    Result<std::string> required_string(std::string_view key);

    /// Integers; doubles with an integral value are accepted too (JSON does
    /// not distinguish 8080 from 8080.0). Out of [min, max] →
    /// "'<path>' must be between <min> and <max>".
    Result<std::optional<std::int64_t>> optional_int(std::string_view key,
                                                     std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                                     std::int64_t max = std::numeric_limits<std::int64_t>::max());
    Result<std::int64_t> required_int(std::string_view key,
                                      std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                      std::int64_t max = std::numeric_limits<std::int64_t>::max());

    Result<std::optional<bool>> optional_bool(std::string_view key);
    Result<bool> required_bool(std::string_view key);

    /// Any number; out of [min, max] → "must be between".
    Result<std::optional<double>> optional_double(std::string_view key,
                                                  double min = -std::numeric_limits<double>::infinity(),
                                                  double max = std::numeric_limits<double>::infinity());
    Result<double> required_double(std::string_view key,
                                   double min = -std::numeric_limits<double>::infinity(),
                                   double max = std::numeric_limits<double>::infinity());

    /// The nested object/array, or nullptr when absent (or null).
    Result<const Value*> optional_object(std::string_view key);
    Result<const Value*> required_object(std::string_view key);
    Result<const Value*> optional_array(std::string_view key);
    Result<const Value*> required_array(std::string_view key);

    /// invalid_argument "unknown key '<path>.<key>'" for the first member (in
    /// document order) that no lookup asked for; OK otherwise (and the
    /// "must be an object" error when the value is not an object).
    Status reject_unknown_keys() const;

private:
    // Marks `key` as known and returns the member (nullptr when absent or,
    // if null_is_absent, null); errors for a non-object or a duplicate key.
    Result<const Value*> lookup(std::string_view key, bool null_is_absent);
    std::unexpected<Error> not_an_object() const;

    const Value* object_;
    std::string prefix_;
    std::vector<std::string> known_keys_;
};

}  // namespace gramkit::json
