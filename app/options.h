#pragma once

#include <vector>

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QLatin1StringView>

// Every command-line option of every mode, in one parser, so --help shows them all.
// Each run*() reads the ones of its mode. The man page (app/manpage.h) is made from the
// same options and texts, so --help and `man blockforge` never disagree.
struct Options
{
    // The mode that reads an option; the other modes refuse it (exit 2).
    enum class Scope { Any, Server, Miner };

    struct Listed
    {
        const QCommandLineOption *option;
        Scope scope;
    };

    struct Mode
    {
        QLatin1StringView usage;
        QLatin1StringView what;
    };

    static constexpr QLatin1StringView Summary{
        "a proof-of-work miner and the chain server miners talk to"};
    static constexpr Mode Modes[] = {
        {QLatin1StringView("blockforge"),
         QLatin1StringView("open the desktop window (Start Mining)")},
        {QLatin1StringView("blockforge --server [...]"),
         QLatin1StringView("run the chain server headless")},
        {QLatin1StringView("blockforge --mine [...]"), QLatin1StringView("mine from the terminal")},
    };
    static constexpr QLatin1StringView ExitStatus{
        "0 success, 1 runtime failure, 2 bad command line"};

    Options();

    // Parses and handles --help/--version/--man-page; returns false (exit code in
    // *exitCode) on a bad command line or after printing help, the version or the page.
    bool process(const QStringList &arguments, int *exitCode);

    QString helpText() const;   // what --help prints

    QCommandLineParser parser;

    QCommandLineOption help;
    QCommandLineOption version;
    QCommandLineOption manPage;   // hidden: prints the man page (the build makes blockforge.1)

    // Modes
    QCommandLineOption server;
    QCommandLineOption mine;

    // --server
    QCommandLineOption host;
    QCommandLineOption port;
    QCommandLineOption difficulty;
    QCommandLineOption database;
    QCommandLineOption reward;
    QCommandLineOption verbose;
    QCommandLineOption backup;
    QCommandLineOption importFrom;

    // --mine (and the window's defaults)
    QCommandLineOption url;
    QCommandLineOption threads;
    QCommandLineOption idFile;
    QCommandLineOption engine;
    QCommandLineOption engines;
    QCommandLineOption priority;
    QCommandLineOption json;
    QCommandLineOption noPush;

    // Every option in --help order, with the mode that reads it.
    const std::vector<Listed> listed;

private:
    bool refuseOtherModesOptions() const;
};
