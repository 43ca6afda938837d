// gramkit CLI — text tables and the JSON writer.
#include "output.hpp"

#include <algorithm>
#include <iostream>

#include "gramkit/time_format.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence starting at s[i], 0 if invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
    if (len == 0 || b > 0xf4 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    }
    if (len >= 3) {
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if ((b == 0xe0 && b1 < 0xa0) || (b == 0xed && b1 >= 0xa0) || (b == 0xf0 && b1 < 0x90) ||
            (b == 0xf4 && b1 >= 0x90)) {
            return 0;
        }
    }
    return len;
}

void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        switch (b) {
            case '"': out += "\\\""; ++i; continue;
            case '\\': out += "\\\\"; ++i; continue;
            case '\n': out += "\\n"; ++i; continue;
            case '\r': out += "\\r"; ++i; continue;
            case '\t': out += "\\t"; ++i; continue;
            case '\b': out += "\\b"; ++i; continue;
            case '\f': out += "\\f"; ++i; continue;
            default: break;
        }
        if (b < 0x20 || b == 0x7f) {
            out += "\\u00";
            out += kHex[b >> 4];
            out += kHex[b & 15];
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(s, i);
        if (len == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        out.append(s.substr(i, len));
        i += len;
    }
    out += '"';
}

void indent(std::string& out, int depth) { out.append(static_cast<std::size_t>(depth) * 2, ' '); }

// Terminal columns a (sanitized, valid UTF-8) cell takes: one per code point.
std::size_t display_width(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xc0) != 0x80;
    return n;
}

}  // namespace

Json::Json(Timestamp t) : kind_(Kind::string), str_(format_timestamp_utc(t)) {}

Json Json::array_of(std::vector<std::string> items) {
    Json j = array();
    for (auto& s : items) j.push(Json(std::move(s)));
    return j;
}

Json& Json::push(Json value) {
    values_.push_back(std::move(value));
    return *this;
}

Json& Json::set(std::string key, Json value) {
    keys_.push_back(std::move(key));
    values_.push_back(std::move(value));
    return *this;
}

void Json::write(std::string& out, int depth) const {
    switch (kind_) {
        case Kind::null: out += "null"; return;
        case Kind::boolean: out += bool_ ? "true" : "false"; return;
        case Kind::number: out += std::to_string(int_); return;
        case Kind::string: write_string(out, str_); return;
        case Kind::array:
        case Kind::object: {
            const bool object = kind_ == Kind::object;
            if (values_.empty()) {
                out += object ? "{}" : "[]";
                return;
            }
            out += object ? '{' : '[';
            for (std::size_t i = 0; i < values_.size(); ++i) {
                out += i ? ",\n" : "\n";
                indent(out, depth + 1);
                if (object) {
                    write_string(out, keys_[i]);
                    out += ": ";
                }
                values_[i].write(out, depth + 1);
            }
            out += '\n';
            indent(out, depth);
            out += object ? '}' : ']';
            return;
        }
    }
}

std::string Json::dump() const {
    std::string out;
    write(out, 0);
    return out;
}

void print_json(const Json& value) { std::cout << value.dump() << '\n'; }

void Table::print(std::ostream& out) const {
    std::vector<std::vector<std::string>> cells;
    cells.reserve(rows_.size() + 1);
    cells.push_back(headers_);
    for (const auto& row : rows_) {
        std::vector<std::string> clean;
        clean.reserve(row.size());
        for (const auto& cell : row) clean.push_back(sanitize(cell));
        cells.push_back(std::move(clean));
    }
    std::vector<std::size_t> width(headers_.size(), 0);
    for (const auto& row : cells) {
        for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
            width[c] = std::max(width[c], display_width(row[c]));
        }
    }
    for (const auto& row : cells) {
        std::string line;
        for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size()) line.append(width[c] - display_width(row[c]) + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields) {
    std::size_t width = 0;
    for (const auto& [key, value] : fields) width = std::max(width, key.size());
    for (const auto& [key, value] : fields) {
        out << key << ':' << std::string(width - key.size() + 1, ' ') << sanitize(value) << '\n';
    }
}

}  // namespace gramkit::cli
