#include "core/servermetrics.h"

#include <algorithm>
#include <initializer_list>

#include <QLocale>

namespace
{
const char *routeLabel(ServerMetrics::Route route)
{
    switch (route) {
    case ServerMetrics::Route::LastBlock:
        return "/last_block";
    case ServerMetrics::Route::Chain:
        return "/chain";
    case ServerMetrics::Route::Mine:
        return "/mine";
    case ServerMetrics::Route::NewTransaction:
        return "/transactions/new";
    case ServerMetrics::Route::Metrics:
        return "/metrics";
    case ServerMetrics::Route::Other:
        break;
    }
    return "other";
}

const char *proofLabel(std::size_t proof)
{
    static constexpr const char *Labels[] = {"forged", "stale", "invalid", "malformed",
                                             "store_failed"};
    return Labels[proof];
}

// Why the HTTP layer answered a request itself.
const char *refusalReason(int status)
{
    switch (status) {
    case 400:
        return "malformed";
    case 408:
        return "timeout";
    case 411:
        return "length_required";
    case 413:
        return "body_too_large";
    case 417:
        return "expectation_failed";
    case 431:
        return "head_too_large";
    case 501:
        return "unknown_method";
    case 503:
        return "too_many_connections";
    default:
        return "other";
    }
}

using Label = std::pair<const char *, QByteArray>;

// name="value",name="value" (label values here never need escaping).
QByteArray labels(std::initializer_list<Label> pairs)
{
    QByteArray out;
    for (const Label &pair : pairs) {
        if (!out.isEmpty())
            out += ',';
        out += pair.first;
        out += "=\"";
        out += pair.second;
        out += '"';
    }
    return out;
}

QByteArray number(double value)
{
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
}

struct Writer
{
    QByteArray out;

    void family(const char *name, const char *type, const char *help)
    {
        out += "# HELP ";
        out += name;
        out += ' ';
        out += help;
        out += "\n# TYPE ";
        out += name;
        out += ' ';
        out += type;
        out += '\n';
    }
    void sample(const char *name, const QByteArray &labels, const QByteArray &value)
    {
        out += name;
        if (!labels.isEmpty()) {
            out += '{';
            out += labels;
            out += '}';
        }
        out += ' ';
        out += value;
        out += '\n';
    }
    void gauge(const char *name, const char *help, const QByteArray &value)
    {
        family(name, "gauge", help);
        sample(name, {}, value);
    }
};
}

ServerMetrics::Route ServerMetrics::routeOf(const QByteArray &path)
{
    if (path == "/last_block")
        return Route::LastBlock;
    if (path == "/chain")
        return Route::Chain;
    if (path == "/mine")
        return Route::Mine;
    if (path == "/transactions/new")
        return Route::NewTransaction;
    if (path == "/metrics")
        return Route::Metrics;
    return Route::Other;
}

void ServerMetrics::countRequest(Route route, int status, double seconds)
{
    ++m_requests[{route, status}];
    Latency &latency = m_latency[static_cast<std::size_t>(route)];
    const auto bucket = std::lower_bound(LatencyBuckets.begin(), LatencyBuckets.end(), seconds);
    if (bucket != LatencyBuckets.end())
        ++latency.buckets[static_cast<std::size_t>(bucket - LatencyBuckets.begin())];
    ++latency.count;
    latency.sum += seconds;
}

std::int64_t ServerMetrics::requests() const
{
    std::int64_t total = 0;
    for (const auto &[key, count] : m_requests)
        total += count;
    return total;
}

std::int64_t ServerMetrics::proofs() const
{
    std::int64_t total = 0;
    for (const std::int64_t count : m_proofs)
        total += count;
    return total;
}

QByteArray ServerMetrics::render(const Gauges &gauges) const
{
    Writer w;
    w.out.reserve(8192);
    w.gauge("blockforge_chain_length", "Blocks in the chain, genesis included.",
            QByteArray::number(gauges.chainLength));
    w.gauge("blockforge_difficulty", "Leading zero hex digits a proof needs.",
            QByteArray::number(gauges.difficulty));
    w.gauge("blockforge_pending_transactions", "Transactions waiting for the next block.",
            QByteArray::number(gauges.pendingTransactions));
    w.gauge("blockforge_pending_transaction_bytes",
            "Bytes the pending transactions take in a block string.",
            QByteArray::number(gauges.pendingBytes));
    w.gauge("blockforge_open_connections", "Client connections open now.",
            QByteArray::number(gauges.openConnections));
    w.gauge("blockforge_uptime_seconds", "Seconds since the server started listening.",
            number(gauges.uptimeSeconds));

    w.family("blockforge_blocks_forged_total", "counter", "Blocks forged by this server process.");
    w.sample("blockforge_blocks_forged_total", {}, QByteArray::number(m_blocksForged));

    w.family("blockforge_proofs_total", "counter", "Proofs submitted to POST /mine, by answer.");
    for (std::size_t i = 0; i < m_proofs.size(); ++i)
        w.sample("blockforge_proofs_total", labels({{"answer", proofLabel(i)}}),
                 QByteArray::number(m_proofs[i]));

    w.family("blockforge_http_requests_total", "counter",
             "Requests answered by a route, by route and status.");
    for (const auto &[key, count] : m_requests)
        w.sample("blockforge_http_requests_total",
                 labels({{"route", routeLabel(key.first)},
                         {"status", QByteArray::number(key.second)}}),
                 QByteArray::number(count));

    w.family("blockforge_http_request_duration_seconds", "histogram",
             "Time to answer a request, by route (handler time).");
    for (std::size_t r = 0; r < m_latency.size(); ++r) {
        const Latency &latency = m_latency[r];
        if (latency.count == 0)
            continue;
        const char *route = routeLabel(static_cast<Route>(r));
        std::int64_t cumulative = 0;
        for (std::size_t b = 0; b < LatencyBuckets.size(); ++b) {
            cumulative += latency.buckets[b];
            w.sample("blockforge_http_request_duration_seconds_bucket",
                     labels({{"route", route}, {"le", LatencyBucketLabels[b]}}),
                     QByteArray::number(cumulative));
        }
        w.sample("blockforge_http_request_duration_seconds_bucket",
                 labels({{"route", route}, {"le", "+Inf"}}),
                 QByteArray::number(latency.count));
        w.sample("blockforge_http_request_duration_seconds_sum", labels({{"route", route}}),
                 number(latency.sum));
        w.sample("blockforge_http_request_duration_seconds_count", labels({{"route", route}}),
                 QByteArray::number(latency.count));
    }

    w.family("blockforge_http_refusals_total", "counter",
             "Requests and connections the HTTP layer answered itself, by status and reason.");
    for (const auto &[status, count] : m_refusals)
        w.sample("blockforge_http_refusals_total",
                 labels({{"status", QByteArray::number(status)}, {"reason", refusalReason(status)}}),
                 QByteArray::number(count));
    return w.out;
}
