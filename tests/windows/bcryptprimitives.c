/* Test-only stand-in for bcryptprimitives.dll, which Debian's Wine 8.0
 * lacks: every Rust-built .exe imports its ProcessPrng. scripts/test
 * compiles it into the run's Wine prefix; it is never shipped. The bytes
 * come from RtlGenRandom (advapi32's SystemFunction036), which Wine has. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
