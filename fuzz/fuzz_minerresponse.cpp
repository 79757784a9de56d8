// libFuzzer target: the miner's reading of server answers, (status, body) -> what the
// mining loop acts on. The first two bytes pick the HTTP status.
// Properties: never crashes; an answer is either a usable block or a named problem;
// messages are plain text of bounded length; rewards stay within 0..MaxReward.
#include <cstdint>
#include <cstdlib>

#include "core/miner.h"

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

    const Miner::WorkAnswer work = Miner::parseWork(status, body);
    check(work.block.has_value() != !work.problem.isEmpty());
    if (work.block) {
        check(work.difficulty >= 0 && work.difficulty <= Pow::MaxDifficulty);
        check(work.block->hash().size() == 64);
    }

    const Miner::MineAnswer mine = Miner::parseMine(status, body);
    check(!mine.message.isEmpty() && mine.message.size() <= 240);
    check(mine.reward >= 0 && mine.reward <= Miner::MaxReward);
    check(mine.kind == Miner::ReplyKind::Accepted || mine.reward == 0);
    return 0;
}
