/*
 * xml_quiet: libxml2 reports some errors (an encoding it cannot convert, an I/O error of its
 * own encoder) through its generic handler, which prints on stderr whatever the parser's
 * XML_PARSE_NOERROR says. lib/ never prints: every parser and writer calls xml_quiet() first,
 * and reads what went wrong from its parser context (xmlCtxtGetLastError) into struct err.
 * libxml2 keeps these handlers per thread, so the call is made on the thread that parses;
 * it also sets the default for threads started later. Cheap: call it before each parse.
 */
#ifndef SETPOST_XML_QUIET_H
#define SETPOST_XML_QUIET_H

void xml_quiet(void);

#endif
