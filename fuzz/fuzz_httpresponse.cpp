// libFuzzer target: the miner's reading of an HTTP answer (HttpResponseReader), bytes
// as a server sends them, then the end of the connection. The first byte picks the
// chunking of the rest for a second reading.
// Properties: never crashes; the verdict (state, status, body, error) is the same
// whether the bytes come whole, one by one or in random chunks; a body never exceeds
// its cap; a complete answer has a 3-digit status; a failure always says why.
#include <cstdint>
#include <cstdlib>

#include "core/httpresponsereader.h"

namespace
{
constexpr qint64 Cap = 1024;   // small, so that the cap is reached often

void check(bool condition)
{
    if (!condition)
        std::abort();
}

struct Verdict
{
    HttpResponseReader::State state;
    int status;
    QByteArray body;
    QString error;
    bool operator==(const Verdict &other) const = default;
};

// Feeds at most reader.wants() bytes at a time, as HttpClient reads its socket.
Verdict read(QByteArrayView bytes, std::uint32_t seed, bool oneByOne)
{
    HttpResponseReader reader(Cap);
    qsizetype at = 0;
    while (at < bytes.size() && (reader.state() == HttpResponseReader::State::Head
                                 || reader.state() == HttpResponseReader::State::Body)) {
        seed = seed * 1103515245u + 12345u;
        qint64 piece = oneByOne ? 1 : 1 + (seed >> 16) % 97;
        piece = std::min<qint64>({piece, reader.wants(), bytes.size() - at});
        check(piece > 0);
        reader.append(bytes.sliced(at, piece));
        at += piece;
    }
    reader.finish();
    check(reader.body().size() <= Cap);
    if (reader.state() == HttpResponseReader::State::Failed)
        check(!reader.error().isEmpty() && reader.body().isEmpty());
    else
        check(reader.state() == HttpResponseReader::State::Done && reader.status() >= 100
              && reader.status() <= 999);
    return Verdict{reader.state(), reader.status(), reader.body(), reader.error()};
}
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    const QByteArrayView bytes(reinterpret_cast<const char *>(data) + 1,
                               static_cast<qsizetype>(size - 1));
    const Verdict whole = read(bytes, 0, false);
    check(read(bytes, data[0], false) == whole);
    check(read(bytes, 0, true) == whole);
    return 0;
}
