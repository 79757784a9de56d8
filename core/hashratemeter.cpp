#include "core/hashratemeter.h"

#include <algorithm>

HashRateMeter::HashRateMeter(std::int64_t minIntervalMs)
    : m_minIntervalMs{std::max<std::int64_t>(1, minIntervalMs)}
    // Any two samples but the newest are at least minIntervalMs apart every other one.
    , m_ring(static_cast<std::size_t>(2 * spanMs(Window::Long) / m_minIntervalMs + 2))
{
}

void HashRateMeter::add(std::int64_t timeMs, std::uint64_t totalAttempts)
{
    if (m_size > 0) {
        const Sample &newest = at(0);
        if (timeMs < newest.timeMs || totalAttempts < newest.attempts) {
            clear();
        } else if (m_size > 1 && timeMs - at(1).timeMs < m_minIntervalMs) {
            // Too close to the one before: the newest sample moves forward instead.
            m_ring[(m_next + m_ring.size() - 1) % m_ring.size()] = {timeMs, totalAttempts};
            return;
        }
    }
    m_ring[m_next] = {timeMs, totalAttempts};
    m_next = (m_next + 1) % m_ring.size();
    m_size = std::min(m_size + 1, m_ring.size());
}

void HashRateMeter::clear()
{
    m_next = 0;
    m_size = 0;
}

const HashRateMeter::Sample &HashRateMeter::at(std::size_t age) const
{
    return m_ring[(m_next + m_ring.size() - 1 - age) % m_ring.size()];
}

std::optional<double> HashRateMeter::rate(Window window) const
{
    if (m_size < 2)
        return std::nullopt;
    const Sample &newest = at(0);
    const std::int64_t from = newest.timeMs - spanMs(window);
    // The newest sample at or before the window's start, else the oldest one kept.
    std::size_t age = 1;
    while (age + 1 < m_size && at(age).timeMs > from)
        ++age;
    const Sample &start = at(age);
    const std::int64_t ms = newest.timeMs - start.timeMs;
    if (ms <= 0)
        return std::nullopt;
    return static_cast<double>(newest.attempts - start.attempts) * 1000.0
        / static_cast<double>(ms);
}

std::int64_t HashRateMeter::historyMs() const
{
    return m_size < 2 ? 0 : at(0).timeMs - at(m_size - 1).timeMs;
}
