#include "app/options.h"

#include <cstdio>

#include "core/version.h"

using namespace Qt::StringLiterals;

Options::Options()
    : server{u"server"_s, u"Run the chain server headless (no display needed)."_s}
    , mine{u"mine"_s, u"Mine from the terminal (no display needed)."_s}
    , host{u"host"_s,
           u"[--server] Address to listen on (default 127.0.0.1, this machine only;"
           " 0.0.0.0 exposes the server to the network)."_s,
           u"address"_s}
    , port{u"port"_s, u"[--server] Port to listen on (default 5000)."_s, u"port"_s}
    , difficulty{u"difficulty"_s,
                 u"[--server] Leading zero hex digits a proof needs (default 6)."_s, u"n"_s}
    , database{u"db"_s,
               u"[--server] SQLite chain database (default: chain.db in the app data folder)."_s,
               u"path"_s}
    , reward{u"reward"_s, u"[--server] Coins paid for each forged block (default 1)."_s, u"coins"_s}
    , backup{u"backup"_s,
             u"[--server] Copy the database (--db) to a file with SQLite's online backup, also"
             " while a server runs on it, and exit."_s,
             u"file"_s}
    , url{u"url"_s, u"[--mine] Chain server to mine on (default http://127.0.0.1:5000)."_s, u"url"_s}
    , threads{u"threads"_s, u"[--mine] Proof-search threads (default: one per core)."_s, u"n"_s}
    , idFile{u"id-file"_s, u"[--mine] File holding your miner id (default my_id.txt)."_s, u"path"_s}
    , engine{u"engine"_s,
             u"[--mine] Force a proof-search engine (see --engines; default: the fastest)."_s,
             u"name"_s}
    , engines{u"engines"_s, u"List the proof-search engines this CPU supports, with their rates."_s}
    , priority{u"priority"_s,
               u"[--mine] Worker thread priority: idle, low (default) or normal."_s, u"level"_s}
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
    parser.addOptions({server, mine, host, port, difficulty, database, reward, backup,
                       url, threads, idFile, engine, engines, priority});
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
