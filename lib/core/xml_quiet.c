/* xml_quiet: libxml2's printing handlers replaced by silent ones (see xml_quiet.h). */
#include "lib/core/xml_quiet.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

static void
xml_quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
xml_quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

void
xml_quiet(void)
{
	xmlThrDefSetGenericErrorFunc(NULL, xml_quiet_generic);
	xmlThrDefSetStructuredErrorFunc(NULL, xml_quiet_structured);
	xmlSetGenericErrorFunc(NULL, xml_quiet_generic);
	xmlSetStructuredErrorFunc(NULL, xml_quiet_structured);
}
