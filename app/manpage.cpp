#include "app/manpage.h"

#include <QStringList>

#include "app/options.h"
#include "core/version.h"

using namespace Qt::StringLiterals;

namespace
{
// Text as roff: backslashes and dashes escaped (a dash is a minus sign, so options can
// be copied from the page), and no line starts with a control character.
QString escaped(const QString &text)
{
    QString out;
    out.reserve(text.size() + 16);
    for (const QChar c : text) {
        if (c == u'\\')
            out += u"\\e"_s;
        else if (c == u'-')
            out += u"\\-"_s;
        else
            out += c;
    }
    out.replace(u"\n"_s, u"\n\\&"_s);
    return out.startsWith(u'.') || out.startsWith(u'\'') ? u"\\&"_s + out : out;
}

QString bold(const QString &text)
{
    return u"\\fB"_s + escaped(text) + u"\\fR"_s;
}

// "-h, --help" or "--port port", as --help shows it, in bold and italics.
QString optionTerm(const QCommandLineOption &option)
{
    QStringList names;
    for (const QString &name : option.names())
        names << bold(name.size() == 1 ? u"-"_s + name : u"--"_s + name);
    QString term = names.join(u", "_s);
    if (!option.valueName().isEmpty())
        term += u" \\fI"_s + escaped(option.valueName()) + u"\\fR"_s;
    return term;
}

// "blockforge --server [...]": the command in bold, its arguments in roman.
QString usageTerm(const QString &usage)
{
    const qsizetype bracket = usage.indexOf(u" ["_s);
    if (bracket < 0)
        return bold(usage);
    return bold(usage.first(bracket)) + escaped(usage.sliced(bracket));
}
}

QString ManPage::render(const Options &options)
{
    QString page;
    page += u".TH BLOCKFORGE 1 \"\" \"blockforge %1\" \"User Commands\"\n"_s.arg(Version::Text);
    page += u".SH NAME\nblockforge \\- "_s + escaped(Options::Summary) + u"\n"_s;

    page += u".SH SYNOPSIS\n\\fBblockforge\\fR [\\fIoptions\\fR]\n"_s;   // as --help's "Usage:"
    page += u".SH DESCRIPTION\n"_s
        + escaped(u"blockforge %1: %2."_s.arg(Version::Text, Options::Summary)) + u"\n"_s;
    page += u".SS Modes\n"_s;
    for (const Options::Mode &mode : Options::Modes)
        page += u".TP\n"_s + usageTerm(mode.usage) + u"\n"_s + escaped(mode.what) + u"\n"_s;

    page += u".SH OPTIONS\n"_s;
    for (const Options::Listed &entry : options.listed) {
        const QCommandLineOption &option = *entry.option;
        if (option.flags().testFlag(QCommandLineOption::HiddenFromHelp))
            continue;
        page += u".TP\n"_s + optionTerm(option) + u"\n"_s + escaped(option.description())
            + u"\n"_s;
    }

    page += u".SH EXIT STATUS\n"_s + escaped(Options::ExitStatus) + u".\n"_s;
    page += u".SH FILES\n.TP\n/etc/default/blockforge\\-server\n"_s
        + escaped(u"Settings of the blockforge-server service (Debian package) that runs "
                  "blockforge --server: host, port, difficulty, database, more options."_s)
        + u"\n.TP\n/var/lib/blockforge\\-server/chain.db\nThe service's chain.\n"_s;
    page += u".SH SEE ALSO\n"
             "\\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1), \\fBsystemd.exec\\fR(5)\n"_s;
    return page;
}
