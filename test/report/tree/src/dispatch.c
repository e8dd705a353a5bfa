#include <ntddk.h>
#include "../include/scan-ioctl.h"

NTSTATUS ScanDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PSCAN_REQUEST req;

    UNREFERENCED_PARAMETER(DeviceObject);
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_SCAN_QUERY:
        req = (PSCAN_REQUEST)Irp->AssociatedIrp.SystemBuffer;
        return ScanQuery(req);
    default:
        req = (PSCAN_REQUEST)Irp->UserBuffer;
        return req->Index ? ScanQuery(req) : STATUS_INVALID_PARAMETER;
    }
}
