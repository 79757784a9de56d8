#pragma once

#include <QLatin1StringView>

namespace Version
{
// Set by CMake from project(VERSION ...).
constexpr QLatin1StringView Text{BLOCKFORGE_VERSION};
}
