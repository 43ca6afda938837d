// Raw response bodies for callers that keep them (the scrape service stores
// them for audit and re-parsing, docs/scrape.md "Raw documents").
//
// The Instagram service returns parsed models. A caller that also wants the
// body opens a RawBodyCapture on its thread before the call; while it is
// open, every successfully parsed answer the service receives *on that
// thread* is copied into it (the service calls are blocking and run on the
// caller's thread, so nothing else can write into it). Without an open
// capture the hook costs one thread-local read per request.
//
// Thread-safety: a capture belongs to the thread that made it; captures
// nest (the innermost one receives the bodies).
#pragma once

#include <string>
#include <string_view>

namespace gramkit::instagram {

class RawBodyCapture {
public:
    RawBodyCapture() noexcept;
    ~RawBodyCapture();
    RawBodyCapture(const RawBodyCapture&) = delete;
    RawBodyCapture& operator=(const RawBodyCapture&) = delete;

    /// The body of the last answer received while open ("" if none).
    const std::string& body() const noexcept { return body_; }
    /// The action of that request ("profile", "feed", "hashtag", "media").
    const std::string& action() const noexcept { return action_; }
    /// Forgets what was captured.
    void clear() noexcept {
        body_.clear();
        action_.clear();
    }

private:
    friend void note_raw_body(std::string_view action, std::string_view body);
    RawBodyCapture* outer_;
    std::string body_;
    std::string action_;
};

/// Called by the service for each parsed answer: copies the body into the
/// calling thread's open capture, if any.
void note_raw_body(std::string_view action, std::string_view body);

}  // namespace gramkit::instagram
