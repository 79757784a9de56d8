// libFuzzer target: the miner's reading of server answers, (status, body) -> what the
// mining loop acts on. The first two bytes pick the HTTP status.
// Properties: never crashes; an answer is either a usable tip or a named problem;
// texts are plain text of bounded length; rewards stay within 0..MaxReward.
#include <cstdint>
#include <cstdlib>

#include "core/minerprotocol.h"

namespace
{
void check(bool condition)
{
    if (!condition)
        std::abort();
}
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    const int status = 100 + (data[0] << 8 | data[1]) % 500;
    const QByteArray body(reinterpret_cast<const char *>(data) + 2, static_cast<qsizetype>(size - 2));

    const Result<MinerProtocol::Tip> tip = MinerProtocol::parseWork(status, body);
    check(tip.ok() == tip.errorMessage().isEmpty());
    if (tip) {
        check(tip->difficulty >= 0 && tip->difficulty <= Pow::MaxDifficulty);
        check(tip->lastBlock.hash().size() == 64);
    }

    const MinerProtocol::MineAnswer mine = MinerProtocol::parseMine(status, body);
    check(!mine.message.isEmpty() && mine.message.size() <= MinerProtocol::MaxMessageChars + 4);
    check(mine.status == status);
    check(mine.reward >= 0 && mine.reward <= MinerProtocol::MaxReward);
    check(mine.kind == MinerProtocol::ReplyKind::Accepted || mine.reward == 0);
    return 0;
}
