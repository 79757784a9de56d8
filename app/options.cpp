#include "app/options.h"

#include <cstdio>

#include "core/version.h"

using namespace Qt::StringLiterals;

Options::Options()
    : server{u"server"_s, u"Run the chain server headless (no display needed)."_s}
    , mine{u"mine"_s, u"Mine from the terminal (no display needed)."_s}
{
    parser.setApplicationDescription(
        u"blockforge %1: a proof-of-work miner and the chain server miners talk to.\n"
        "\n"
        "Modes:\n"
        "  blockforge                 open the desktop window (Start Mining)\n"
        "  blockforge --server [...]  run the chain server headless\n"
        "  blockforge --mine [...]    mine from the terminal"_s.arg(Version::Text));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(server);
    parser.addOption(mine);
}

bool Options::process(const QStringList &arguments, int *exitCode)
{
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "blockforge: %s\nTry 'blockforge --help'.\n",
                     qPrintable(parser.errorText()));
        *exitCode = 2;
        return false;
    }
    if (parser.isSet(u"help"_s)) {
        // No application object exists yet, so Qt cannot know the program's name.
        QString help = parser.helpText();
        help.replace(u"<executable_name>"_s, u"blockforge"_s);
        std::fputs(qPrintable(help), stdout);
        *exitCode = 0;
        return false;
    }
    if (parser.isSet(u"version"_s)) {
        std::printf("blockforge %s\n", qPrintable(QString(Version::Text)));
        *exitCode = 0;
        return false;
    }
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "blockforge: unexpected argument '%s'\nTry 'blockforge --help'.\n",
                     qPrintable(parser.positionalArguments().constFirst()));
        *exitCode = 2;
        return false;
    }
    if (parser.isSet(server) && parser.isSet(mine)) {
        std::fputs("blockforge: choose one of --server and --mine\n", stderr);
        *exitCode = 2;
        return false;
    }
    return true;
}
