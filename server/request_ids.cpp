#include "server/request_ids.hpp"

#include <random>

namespace hil::server {

uuid_request_ids::uuid_request_ids() : prefix_((std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

std::string uuid_request_ids::next() {
    const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    // Layout: 8-4-4-4-12 hex digits; the version nibble is 4 and the variant bits 10.
    const std::uint64_t hi = prefix_;
    const std::uint64_t lo = n;
    char out[37];
    static constexpr char k_hex[] = "0123456789abcdef";
    auto put = [&](int pos, std::uint64_t value, int digits) {
        for (int i = digits - 1; i >= 0; --i, value >>= 4) out[pos + i] = k_hex[value & 0xF];
    };
    put(0, hi >> 32, 8);
    out[8] = '-';
    put(9, hi >> 16, 4);
    out[13] = '-';
    put(14, 0x4000 | (hi & 0x0FFF), 4);
    out[18] = '-';
    put(19, 0x8000 | ((lo >> 48) & 0x3FFF), 4);
    out[23] = '-';
    put(24, lo, 12);
    out[36] = 0;
    return std::string(out, 36);
}


resource_ids::resource_ids() : draws_((std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

std::string resource_ids::next() {
    std::uint64_t hi = 0, lo = 0;
    {
        std::lock_guard lock(mutex_);
        hi = draws_();
        lo = draws_();
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out(32, '0');
    for (int i = 15; i >= 0; --i, hi >>= 4) out[static_cast<std::size_t>(i)] = k_hex[hi & 0xF];
    for (int i = 31; i >= 16; --i, lo >>= 4) out[static_cast<std::size_t>(i)] = k_hex[lo & 0xF];
    return out;
}

}  // namespace hil::server
