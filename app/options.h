#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>

// Every command-line option of every mode, in one parser, so --help shows them all.
// Each run*() reads the ones of its mode.
struct Options
{
    Options();

    // Parses and handles --help/--version; returns false (exit code in *exitCode) on
    // a bad command line or after printing help or the version.
    bool process(const QStringList &arguments, int *exitCode);

    QCommandLineParser parser;

    // Modes
    QCommandLineOption server;
    QCommandLineOption mine;

    // --server
    QCommandLineOption host;
    QCommandLineOption port;
    QCommandLineOption difficulty;
    QCommandLineOption database;
    QCommandLineOption reward;
    QCommandLineOption backup;

    // --mine (and the window's defaults)
    QCommandLineOption url;
    QCommandLineOption threads;
    QCommandLineOption idFile;
    QCommandLineOption engine;
    QCommandLineOption engines;
    QCommandLineOption priority;
};
