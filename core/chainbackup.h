#pragma once

#include <QString>

#include "core/result.h"

// A consistent copy of a chain database, made with SQLite's online backup API while a
// server may be writing to it (it reads; it never takes the server's lock). The copy is
// written next to the target, checked, synced, and only then renamed over the target,
// so a failed backup never leaves a half-written file in its place.
namespace ChainBackup
{
// Copies the database at path to target; on success *blocks is the copy's block count.
Result<void> write(const QString &path, const QString &target, qint64 *blocks);
}
