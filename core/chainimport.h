#pragma once

#include <QString>

#include "core/result.h"

// Moves a chain between stores (a SQLite file, a postgresql:// URL, either way): reads and
// verifies the source, copies its blocks and pending transactions into the target in one
// transaction (the target must hold no block yet), then reads the target back, verifies
// it and compares it with the source block by block. The source is not changed.
namespace ChainImport
{
struct Counts
{
    qint64 blocks = 0;
    qint64 pending = 0;
};

Result<void> run(const QString &source, const QString &target, Counts *counts);
}
