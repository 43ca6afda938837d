#include "instagram/raw_capture.hpp"

namespace gramkit::instagram {
namespace {
thread_local RawBodyCapture* t_capture = nullptr;
}  // namespace

RawBodyCapture::RawBodyCapture() noexcept : outer_(t_capture) { t_capture = this; }
RawBodyCapture::~RawBodyCapture() { t_capture = outer_; }

void note_raw_body(std::string_view action, std::string_view body) {
    if (t_capture == nullptr) return;
    t_capture->body_.assign(body);
    t_capture->action_.assign(action);
}

}  // namespace gramkit::instagram
