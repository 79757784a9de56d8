#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <utility>

#include <QByteArray>

// The chain server's counters for GET /metrics, in the Prometheus text format 0.0.4.
// Plain integers, no lock: the server counts and answers on its one thread, so a count
// is an increment and a scrape reads them all at once.
class ServerMetrics final
{
public:
    // The routes requests are counted by: a bounded set, whatever path a client sends.
    enum class Route { LastBlock, Chain, Mine, NewTransaction, Metrics, Other };
    // What POST /mine made of a proof.
    enum class Proof { Forged, Stale, Invalid, Malformed, StoreFailed };

    // Request latency buckets, in seconds (the handler's time, not the network's).
    static constexpr std::array<double, 14> LatencyBuckets{
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
    // Their "le" labels, written as Prometheus' own clients write them.
    static constexpr std::array<const char *, LatencyBuckets.size()> LatencyBucketLabels{
        "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
        "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0"};

    // What is true at the moment of a scrape, read from the server.
    struct Gauges
    {
        std::int64_t chainLength = 0;
        std::int64_t pendingTransactions = 0;
        std::int64_t pendingBytes = 0;
        std::int64_t openConnections = 0;
        std::int64_t difficulty = 0;
        double uptimeSeconds = 0;
    };

    static Route routeOf(const QByteArray &path);

    void countRequest(Route route, int status, double seconds);
    void countProof(Proof proof) { ++m_proofs[static_cast<std::size_t>(proof)]; }
    void countBlockForged() { ++m_blocksForged; }
    // A request answered by the HTTP layer itself (400, 408, 411, 413, 431, 501, 503).
    void countRefusal(int status) { ++m_refusals[status]; }

    std::int64_t blocksForged() const { return m_blocksForged; }
    std::int64_t requests() const;
    std::int64_t proofs() const;   // of every kind

    // The whole exposition, ending with a newline.
    QByteArray render(const Gauges &gauges) const;

    static constexpr const char *ContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    struct Latency
    {
        std::array<std::int64_t, LatencyBuckets.size()> buckets{};   // not cumulative
        std::int64_t count = 0;
        double sum = 0;
    };

    std::map<std::pair<Route, int>, std::int64_t> m_requests;   // by (route, status)
    std::array<Latency, 6> m_latency;                           // by route
    std::array<std::int64_t, 5> m_proofs{};
    std::map<int, std::int64_t> m_refusals;                     // by status
    std::int64_t m_blocksForged = 0;
};
