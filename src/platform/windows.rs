//! Windows: reparse points opened as themselves, a current-user-only ACL,
//! `MoveFileExW` with a bounded retry, a process snapshot, and `exec` as
//! spawn-and-wait.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, HANDLE, INVALID_HANDLE_VALUE,
    LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    EXPLICIT_ACCESS_W, NO_MULTIPLE_TRUSTEE, SE_FILE_OBJECT, SET_ACCESS, SetEntriesInAclW,
    SetNamedSecurityInfoW, TRUSTEE_IS_SID, TRUSTEE_IS_USER, TRUSTEE_W,
};
use windows_sys::Win32::Security::{
    ACL, DACL_SECURITY_INFORMATION, GetTokenInformation, PROTECTED_DACL_SECURITY_INFORMATION,
    SUB_CONTAINERS_AND_OBJECTS_INHERIT, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_OPEN_REPARSE_POINT, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH, MoveFileExW,
};
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentProcessId, OpenProcessToken,
};

const GENERIC_ALL: u32 = 0x1000_0000;

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

/// A symbolic link or junction is opened as itself, not followed; the
/// callers then refuse it as not a regular file.
pub fn no_follow(opts: &mut OpenOptions) -> &mut OpenOptions {
    opts.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
}

/// Never: a link is opened as itself (see [`no_follow`]).
pub fn is_link_error(_e: &io::Error) -> bool {
    false
}

/// Never: Windows has no FIFOs in the file system.
pub fn is_fifo_error(_e: &io::Error) -> bool {
    false
}

/// Nothing to add: a new file inherits its folder's ACL, which
/// [`create_private_dir`] made the current user's alone.
pub fn private_file(opts: &mut OpenOptions) -> &mut OpenOptions {
    opts
}

/// `dir` and its missing parents; when `dir` itself is new, its ACL grants
/// the current user alone (full control, inherited by what is created in
/// it), and no longer inherits from its parent. An existing folder (the
/// AWS CLI's) keeps its ACL.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    restrict_to_current_user(dir)
}

/// The user this process runs as: its token's SID (bytes).
fn current_user_sid() -> io::Result<Vec<u8>> {
    // SAFETY: the token handle is closed below; the buffer is sized by the
    // first call and holds a TOKEN_USER whose SID points into it.
    unsafe {
        let mut token: HANDLE = std::ptr::null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut len = 0u32;
        GetTokenInformation(token, TokenUser, std::ptr::null_mut(), 0, &mut len);
        let mut buf = vec![0u8; len as usize];
        let ok = GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len);
        let err = io::Error::last_os_error();
        CloseHandle(token);
        if ok == 0 {
            return Err(err);
        }
        Ok(buf)
    }
}

/// Replaces `path`'s DACL with one entry: the current user, full control,
/// inherited by files and folders in it; protected from the parent's.
pub fn restrict_to_current_user(path: &Path) -> io::Result<()> {
    let token_user = current_user_sid()?;
    let name = wide(path.as_os_str());
    // SAFETY: `token_user` holds a TOKEN_USER (aligned by the allocator for
    // its pointer field) that outlives the calls; the ACL SetEntriesInAclW
    // allocates is freed with LocalFree.
    unsafe {
        let user = &*(token_user.as_ptr() as *const TOKEN_USER);
        let access = EXPLICIT_ACCESS_W {
            grfAccessPermissions: GENERIC_ALL,
            grfAccessMode: SET_ACCESS,
            grfInheritance: SUB_CONTAINERS_AND_OBJECTS_INHERIT,
            Trustee: TRUSTEE_W {
                pMultipleTrustee: std::ptr::null_mut(),
                MultipleTrusteeOperation: NO_MULTIPLE_TRUSTEE,
                TrusteeForm: TRUSTEE_IS_SID,
                TrusteeType: TRUSTEE_IS_USER,
                ptstrName: user.User.Sid.cast(),
            },
        };
        let mut acl: *mut ACL = std::ptr::null_mut();
        let rc = SetEntriesInAclW(1, &access, std::ptr::null(), &mut acl);
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
        let rc = SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl,
            std::ptr::null(),
        );
        LocalFree(acl.cast());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
    }
    Ok(())
}

/// How long [`replace`] waits between tries while another process (an
/// antivirus or indexer scanning the entry) holds the target open without
/// sharing delete: about 1.5 s in all, then the error is returned.
pub const REPLACE_RETRY_DELAYS: [Duration; 8] = [
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(25),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(700),
];

/// Replaces `to` by `from` atomically: `MoveFileExW` with
/// `MOVEFILE_REPLACE_EXISTING` (and write-through, so the rename is on disk
/// when it returns), retried on sharing violations and access denied.
pub fn replace(from: &Path, to: &Path) -> io::Result<()> {
    let (src, dst) = (wide(from.as_os_str()), wide(to.as_os_str()));
    let mut delays = REPLACE_RETRY_DELAYS.iter();
    loop {
        // SAFETY: two NUL-terminated wide strings.
        let ok = unsafe {
            MoveFileExW(
                src.as_ptr(),
                dst.as_ptr(),
                MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
            )
        };
        if ok != 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        let busy = matches!(
            err.raw_os_error().map(|c| c as u32),
            Some(ERROR_SHARING_VIOLATION | ERROR_ACCESS_DENIED)
        );
        match delays.next() {
            Some(d) if busy => std::thread::sleep(*d),
            _ => return Err(err),
        }
    }
}

/// Nothing: [`replace`] writes through.
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Reads at `offset`, then puts the file position back where it was
/// (Windows' positioned read moves it).
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut f = file;
    let was = f.stream_position()?;
    let n = file.seek_read(buf, offset);
    f.seek(SeekFrom::Start(was))?;
    n
}

/// The executable name of the process that started us, from a snapshot of
/// the process list (`pwsh.exe`, `powershell.exe`, `cmd.exe`, ...).
pub fn parent_process_name() -> Option<String> {
    let entries = snapshot();
    // SAFETY: no preconditions.
    let me = unsafe { GetCurrentProcessId() };
    let parent = entries.iter().find(|(pid, _, _)| *pid == me)?.1;
    entries
        .into_iter()
        .find(|(pid, _, _)| *pid == parent)
        .map(|(_, _, name)| name)
}

/// Every process: (id, parent id, executable name).
fn snapshot() -> Vec<(u32, u32, String)> {
    // SAFETY: the snapshot handle is closed before returning; the entries
    // are plain structs sized as the API asks.
    unsafe {
        let snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snap == INVALID_HANDLE_VALUE {
            return Vec::new();
        }
        let mut entries = Vec::new();
        let mut e: PROCESSENTRY32W = std::mem::zeroed();
        e.dwSize = std::mem::size_of::<PROCESSENTRY32W>() as u32;
        let mut more = Process32FirstW(snap, &mut e) != 0;
        while more {
            let len = e.szExeFile.iter().position(|c| *c == 0).unwrap_or(0);
            let name = String::from_utf16_lossy(&e.szExeFile[..len]);
            entries.push((e.th32ProcessID, e.th32ParentProcessID, name));
            more = Process32NextW(snap, &mut e) != 0;
        }
        CloseHandle(snap);
        entries
    }
}

/// Ctrl+C and Ctrl+Break reach every process on the console, the command
/// included: awsrole ignores them (it waits for the command, which decides).
/// A handler, unlike `SetConsoleCtrlHandler(NULL, TRUE)`, is not inherited.
unsafe extern "system" fn ignore_ctrl_c(kind: u32) -> i32 {
    i32::from(kind == CTRL_C_EVENT || kind == CTRL_BREAK_EVENT)
}

/// Starts `cmd`, waits for it and exits with its exit code: Windows cannot
/// replace a process. Returns only the error when it did not start.
pub fn exec(cmd: &mut Command) -> io::Error {
    // SAFETY: registers a handler that only returns a value.
    unsafe { SetConsoleCtrlHandler(Some(ignore_ctrl_c), 1) };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return e,
    };
    match child.wait() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => {
            eprintln!("awsrole: error: cannot wait for the command: {e}");
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    const FILE_SHARE_READ: u32 = 1;

    fn write(path: &Path, text: &str) {
        std::fs::File::create(path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    /// A reader that holds the entry open without FILE_SHARE_DELETE (as a
    /// scanner may) blocks the rename; once it lets go, the retry succeeds.
    #[test]
    fn replace_retries_while_the_target_is_held_open() {
        let dir = tempfile::tempdir().unwrap();
        let (tmp, entry) = (dir.path().join("t"), dir.path().join("e.json"));
        write(&entry, "old");
        write(&tmp, "new");
        let held = OpenOptions::new()
            .read(true)
            .share_mode(FILE_SHARE_READ)
            .open(&entry)
            .unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(held);
        });
        let started = Instant::now();
        replace(&tmp, &entry).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(100), "no wait");
        release.join().unwrap();
        assert_eq!(std::fs::read_to_string(&entry).unwrap(), "new");
        assert!(!tmp.exists());
    }

    /// Held for longer than the retries last: the sharing violation is
    /// returned after a bounded wait, and the entry is unchanged.
    #[test]
    fn replace_gives_up_after_a_bounded_wait() {
        let dir = tempfile::tempdir().unwrap();
        let (tmp, entry) = (dir.path().join("t"), dir.path().join("e.json"));
        write(&entry, "old");
        write(&tmp, "new");
        let held = OpenOptions::new()
            .read(true)
            .share_mode(FILE_SHARE_READ)
            .open(&entry)
            .unwrap();
        let started = Instant::now();
        let err = replace(&tmp, &entry).unwrap_err();
        let took = started.elapsed();
        let total: Duration = REPLACE_RETRY_DELAYS.iter().sum();
        assert!(took >= total && took < total * 3, "{took:?}");
        assert!(
            matches!(
                err.raw_os_error().map(|c| c as u32),
                Some(ERROR_SHARING_VIOLATION | ERROR_ACCESS_DENIED)
            ),
            "{err}"
        );
        drop(held);
        assert_eq!(std::fs::read_to_string(&entry).unwrap(), "old");
    }

    /// The snapshot names this process and its parent link. (Which shell
    /// is found is tested end to end: awsrole.exe under Wine's cmd.exe.)
    #[test]
    fn the_snapshot_holds_this_process() {
        let me = std::process::id();
        let all = snapshot();
        let (_, _, name) = all
            .iter()
            .find(|(pid, _, _)| *pid == me)
            .expect("this process in the snapshot");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(
            name.to_ascii_lowercase(),
            exe.file_name()
                .unwrap()
                .to_string_lossy()
                .to_ascii_lowercase()
        );
    }

    #[test]
    fn read_at_keeps_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write(&p, "awsrole process 7 x");
        let f = File::open(&p).unwrap();
        let mut buf = [0u8; 7];
        assert_eq!(read_at(&f, &mut buf, 0).unwrap(), 7);
        assert_eq!(&buf, b"awsrole");
        let mut g = &f;
        assert_eq!(g.stream_position().unwrap(), 0);
    }

    /// The DACL of `path`: (number of entries, protected from the parent,
    /// every entry allows the current user).
    fn dacl_of(path: &Path) -> (u16, bool, bool) {
        use windows_sys::Win32::Security::Authorization::GetNamedSecurityInfoW;
        use windows_sys::Win32::Security::{
            ACCESS_ALLOWED_ACE, EqualSid, GetAce, GetSecurityDescriptorControl,
            PSECURITY_DESCRIPTOR, SE_DACL_PROTECTED,
        };
        let name = wide(path.as_os_str());
        let token_user = current_user_sid().unwrap();
        // SAFETY: out-pointers filled by the calls; the descriptor is freed.
        unsafe {
            let user = &*(token_user.as_ptr() as *const TOKEN_USER);
            let mut dacl: *mut ACL = std::ptr::null_mut();
            let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
            let rc = GetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut dacl,
                std::ptr::null_mut(),
                &mut sd,
            );
            assert_eq!(rc, 0, "GetNamedSecurityInfoW");
            let (mut control, mut rev) = (0u16, 0u32);
            GetSecurityDescriptorControl(sd, &mut control, &mut rev);
            let count = (*dacl).AceCount;
            let mut all_ours = true;
            for i in 0..u32::from(count) {
                let mut ace: *mut std::ffi::c_void = std::ptr::null_mut();
                assert_ne!(GetAce(dacl, i, &mut ace), 0);
                let ace = ace as *const ACCESS_ALLOWED_ACE;
                let sid = std::ptr::addr_of!((*ace).SidStart) as *mut std::ffi::c_void;
                all_ours &= (*ace).Header.AceType == 0 && EqualSid(sid, user.User.Sid) != 0;
            }
            LocalFree(sd);
            (count, control & SE_DACL_PROTECTED != 0, all_ours)
        }
    }

    /// Wine's ntdll exports `wine_get_version`; Windows' does not.
    fn under_wine() -> bool {
        use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
        // SAFETY: NUL-terminated names; ntdll is always loaded.
        unsafe {
            let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
            GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
        }
    }

    /// A folder awsrole creates, and the files created in it, allow the
    /// current user alone; the folder does not inherit its parent's ACL.
    /// Wine 8.0 accepts the ACL but reports one made from the Unix mode, so
    /// there only the calls are checked (said loudly; docs/compatibility.md).
    #[test]
    fn a_new_private_dir_grants_the_current_user_alone() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("cache");
        create_private_dir(&d).unwrap();
        if under_wine() {
            eprintln!(
                "!!! under Wine: the ACL was set without error; Wine does not report it back, so its entries are not checked here"
            );
            return;
        }
        assert_eq!(dacl_of(&d), (1, true, true));
        let f = d.join("k.json");
        write(&f, "{}");
        let (count, _, ours) = dacl_of(&f);
        assert_eq!((count, ours), (1, true), "inherited by its files");
    }

    #[test]
    fn a_new_private_dir_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("a").join("b");
        create_private_dir(&d).unwrap();
        assert!(d.is_dir());
        write(&d.join("x"), "1");
        create_private_dir(&d).unwrap();
    }
}
