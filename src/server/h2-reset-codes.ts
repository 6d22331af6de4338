import { Code, ConnectError } from "@connectrpc/connect";

/** HTTP/2 reset codes as connect-node maps them onto the call's abort reason; undefined (a plain abort) for a normal close. */
export function errorFromResetCode(rstCode: number | undefined): ConnectError | undefined {
  const code = rstCode === undefined ? undefined : RESET_CODES[rstCode];
  return code === undefined ? undefined : new ConnectError(`http/2 stream closed with error code ${RESET_NAMES[rstCode!]} (0x${rstCode!.toString(16)})`, code);
}

const RESET_NAMES: Record<number, string> = {
  1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM",
  8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED",
};
const RESET_CODES: Record<number, Code> = {
  1: Code.Internal, 2: Code.Internal, 3: Code.Internal, 4: Code.Internal, 6: Code.Internal, 9: Code.Internal, 10: Code.Internal,
  7: Code.Unavailable, 8: Code.Canceled, 11: Code.ResourceExhausted, 12: Code.PermissionDenied, 13: Code.PermissionDenied,
};
