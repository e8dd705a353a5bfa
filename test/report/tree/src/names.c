#include <ntddk.h>
#include <ntstrsafe.h>

static CHAR g_Name[32];

VOID SaveName(const CHAR *name)
{
    strcpy(g_Name, name);
}

VOID FormatDevice(WCHAR *out, ULONG id)
{
    swprintf(out, L"\\Device\\Scan%u", id);
}

NTSTATUS SaveNameSafely(const CHAR *name)
{
    return RtlStringCbCopyA(g_Name, sizeof(g_Name), name);
}

VOID AppendSuffix(CHAR *buf)
{
    strcat(buf, "-scan");
}
