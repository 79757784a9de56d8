#pragma once

#include <QString>

struct Options;

// The man page blockforge(1), in roff, made from the options and texts of --help
// (Options) so the two never disagree. The build writes it with `blockforge --man-page`.
namespace ManPage
{
QString render(const Options &options);
}
