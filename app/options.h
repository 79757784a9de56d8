#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>

// Every command-line option of every mode, in one parser, so --help shows them all.
struct Options
{
    Options();

    // Parses and handles --help/--version; returns false (exit code in *exitCode) on
    // a bad command line or after printing help or the version.
    bool process(const QStringList &arguments, int *exitCode);

    QCommandLineParser parser;

    QCommandLineOption server;
    QCommandLineOption mine;
};
