#pragma once

#include <cstdint>
#include <optional>
#include <vector>

// Hash rates over named windows, from samples of a growing attempt counter (XMRig's
// Hashrate idea): add (time, total attempts) every few hundred milliseconds, ask for
// the rate over the last second, 10 s, 60 s or 15 min. A window longer than the
// history gives the rate over the whole history. No clock of its own and no Qt, so
// the window and the terminal, and their tests, feed it alike.
class HashRateMeter
{
public:
    enum class Window { Now, Short, Medium, Long };   // 1 s, 10 s, 60 s, 15 min

    static constexpr std::int64_t spanMs(Window window)
    {
        switch (window) {
        case Window::Now:
            return 1'000;
        case Window::Short:
            return 10'000;
        case Window::Medium:
            return 60'000;
        case Window::Long:
            return 15 * 60'000;
        }
        return 0;
    }

    // Keeps enough samples for the longest window: a sample closer than minIntervalMs
    // to the one before the newest replaces the newest.
    explicit HashRateMeter(std::int64_t minIntervalMs = 250);

    // A sample: a monotonic time in milliseconds and the attempts counted so far. A
    // time or count that goes backwards starts the history again.
    void add(std::int64_t timeMs, std::uint64_t totalAttempts);
    void clear();

    // Attempts per second over the window ending at the newest sample; nothing until
    // two samples at least a millisecond apart exist.
    std::optional<double> rate(Window window) const;
    std::int64_t historyMs() const;   // from the oldest kept sample to the newest

private:
    struct Sample
    {
        std::int64_t timeMs = 0;
        std::uint64_t attempts = 0;
    };

    const Sample &at(std::size_t age) const;   // 0: newest

    std::int64_t m_minIntervalMs;
    std::vector<Sample> m_ring;
    std::size_t m_next = 0;                    // where the next sample goes
    std::size_t m_size = 0;
};
