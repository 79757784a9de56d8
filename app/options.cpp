#include "app/options.h"

#include <cstdio>

#include "app/manpage.h"
#include "core/version.h"

using namespace Qt::StringLiterals;

namespace
{
QCommandLineOption hidden(QCommandLineOption option)
{
    option.setFlags(QCommandLineOption::HiddenFromHelp);
    return option;
}

bool fail(const QString &message)
{
    std::fprintf(stderr, "blockforge: %s\nTry 'blockforge --help'.\n", qUtf8Printable(message));
    return false;
}
}

Options::Options()
    : help{{u"h"_s, u"help"_s}, u"Show this help and exit."_s}
    , version{{u"v"_s, u"version"_s}, u"Show the version and exit."_s}
    , manPage{hidden({u"man-page"_s, u"Print the man page (roff) and exit."_s})}
    , server{u"server"_s, u"Run the chain server headless (no display needed)."_s}
    , mine{u"mine"_s, u"Mine from the terminal (no display needed)."_s}
    , host{u"host"_s,
           u"[--server] Address to listen on (default 127.0.0.1, this machine only;"
           " 0.0.0.0 exposes the server to the network)."_s,
           u"address"_s}
    , port{u"port"_s, u"[--server] Port to listen on (default 5000)."_s, u"port"_s}
    , difficulty{u"difficulty"_s,
                 u"[--server] Leading zero hex digits a proof needs (default 6)."_s, u"n"_s}
    , database{u"db"_s,
               u"[--server] Chain database: a SQLite file (default: chain.db in the app data"
               " folder), or postgresql://user:password@host:port/dbname to share one chain"
               " among several servers."_s,
               u"path|url"_s}
    , reward{u"reward"_s, u"[--server] Coins paid for each forged block (default 1)."_s, u"coins"_s}
    , verbose{u"verbose"_s,
              u"[--server] Log every request (default: only forged blocks and errors)."_s}
    , backup{u"backup"_s,
             u"[--server] Copy the database (--db) to a file with SQLite's online backup, also"
             " while a server runs on it, and exit."_s,
             u"file"_s}
    , importFrom{u"import"_s,
                 u"[--server] Copy the chain of another database (a SQLite file or a"
                 " postgresql:// URL) into the new, empty database --db, verify it block by"
                 " block, and exit."_s,
                 u"path|url"_s}
    , url{u"url"_s,
          u"[--mine] Chain server to mine on (default http://127.0.0.1:5000). Give it again"
          " (or a comma-separated list) for failover nodes, in order of preference."_s,
          u"url"_s}
    , threads{u"threads"_s, u"[--mine] Proof-search threads (default: one per core)."_s, u"n"_s}
    , idFile{u"id-file"_s, u"[--mine] File holding your miner id (default my_id.txt)."_s, u"path"_s}
    , engine{u"engine"_s,
             u"[--mine] Force a proof-search engine (see --engines; default: the fastest)."_s,
             u"name"_s}
    , engines{u"engines"_s, u"List the proof-search engines this CPU supports, with their rates."_s}
    , priority{u"priority"_s,
               u"[--mine] Worker thread priority: idle, low (default) or normal."_s, u"level"_s}
    , json{u"json"_s,
           u"[--mine] Print one JSON object per line for every event (work, proof, answer,"
           " hash rate, error, node switch) instead of the human lines."_s}
    , noPush{u"no-push"_s,
             u"[--mine] Poll for new blocks every second even where the server pushes them."_s}
    , listed{{&help, Scope::Any},         {&version, Scope::Any},       {&manPage, Scope::Any},
             {&server, Scope::Any},       {&mine, Scope::Any},          {&host, Scope::Server},
             {&port, Scope::Server},      {&difficulty, Scope::Server}, {&database, Scope::Server},
             {&reward, Scope::Server},    {&verbose, Scope::Server},    {&backup, Scope::Server},
             {&importFrom, Scope::Server},
             {&url, Scope::Miner},        {&threads, Scope::Miner},     {&idFile, Scope::Miner},
             {&engine, Scope::Miner},     {&engines, Scope::Miner},     {&priority, Scope::Miner},
             {&json, Scope::Miner},       {&noPush, Scope::Miner}}
{
    QString description = u"blockforge %1: %2.\n\nModes:"_s.arg(Version::Text, Summary);
    for (const Mode &mode : Modes)
        description += u"\n  %1  %2"_s.arg(mode.usage, -25).arg(mode.what);
    parser.setApplicationDescription(description);
    for (const Listed &entry : listed)
        parser.addOption(*entry.option);
}

QString Options::helpText() const
{
    // No application object exists when --help is handled, so Qt cannot know the
    // program's name.
    QString text = parser.helpText();
    text.replace(u"<executable_name>"_s, u"blockforge"_s);
    return text + u"\nExit status: %1.\n"_s.arg(ExitStatus);
}

bool Options::process(const QStringList &arguments, int *exitCode)
{
    *exitCode = 2;
    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (parser.isSet(help) || parser.isSet(version) || parser.isSet(manPage)) {
        const QString text = parser.isSet(help)      ? helpText()
                             : parser.isSet(version) ? u"blockforge %1\n"_s.arg(Version::Text)
                                                     : ManPage::render(*this);
        std::fputs(qUtf8Printable(text), stdout);
        *exitCode = 0;
        return false;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(u"unexpected argument '%1'"_s.arg(parser.positionalArguments().constFirst()));
    if (parser.isSet(server) && parser.isSet(mine))
        return fail(u"choose one of --server and --mine"_s);
    return refuseOtherModesOptions();
}

// A --server option anywhere but --server, or a miner option with --server, would be
// silently ignored: refuse it, so a mistyped command line never runs half-configured.
bool Options::refuseOtherModesOptions() const
{
    const bool serving = parser.isSet(server);
    for (const Listed &entry : listed) {
        if (!parser.isSet(*entry.option))
            continue;
        const QString name = entry.option->names().constLast();
        if (entry.scope == Scope::Server && !serving)
            return fail(u"--%1 is a --server option"_s.arg(name));
        if (entry.scope == Scope::Miner && serving)
            return fail(u"--%1 is a miner option (--mine or the window), not a --server option"_s
                            .arg(name));
    }
    return true;
}
