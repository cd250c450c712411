// Another program holding files open the way many Windows programs do (an editor, a log shipper,
// a virus scanner): CreateFileW sharing read and write but not delete, which makes renaming the
// file fail. Holds each path given, prints HELD, and lets go when its stdin ends.
import koffi from 'koffi';

const kernel32 = koffi.load('kernel32.dll');
const CreateFileW = kernel32.func(
  'void* __stdcall CreateFileW(str16 name, uint32 access, uint32 share, void* security, uint32 disposition, uint32 flags, void* template)',
);
const GetLastError = kernel32.func('uint32 __stdcall GetLastError()');
const CloseHandle = kernel32.func('bool __stdcall CloseHandle(void* handle)');
const GENERIC_READ = 0x80000000;
const FILE_SHARE_READ = 0x1;
const FILE_SHARE_WRITE = 0x2;
const OPEN_EXISTING = 3;
const INVALID_HANDLE_VALUE = -1n;

const handles = process.argv.slice(2).map((file) => {
  const handle = CreateFileW(
    file,
    GENERIC_READ,
    FILE_SHARE_READ | FILE_SHARE_WRITE,
    null,
    OPEN_EXISTING,
    0,
    null,
  );
  if (handle === null || koffi.address(handle) === BigInt.asUintN(64, INVALID_HANDLE_VALUE)) {
    process.stdout.write(`FAILED ${file} ${GetLastError()}\n`);
    process.exit(1);
  }
  return handle;
});
process.stdout.write('HELD\n');
process.stdin.resume();
process.stdin.on('end', () => {
  for (const handle of handles) CloseHandle(handle);
  process.exit(0);
});
