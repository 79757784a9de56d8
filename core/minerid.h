#pragma once

#include <QString>

#include "core/result.h"

// The miner id file (`my_id.txt`): the id the server pays coins to, one line of text.
namespace MinerId
{
// The terminal miner's default: my_id.txt in the working directory.
QString defaultFileName();

// The window's default: my_id.txt in the app data folder
// (~/.local/share/blockforge/blockforge/my_id.txt), an absolute path.
QString defaultPath();

// The trimmed id in the file at path; an error when the file is missing, unreadable
// or blank (an empty id is never sent).
Result<QString> read(const QString &path);

// Writes id (trimmed, plus a newline) to path atomically, unless the file already
// holds that id. Returns whether it wrote.
Result<bool> save(const QString &path, const QString &id);
}
