// Types for the generated protocol constants (gen/js/protocol.js, from schema/).
declare module "*/gen/js/protocol.js" {
  export const MIN_PROTOCOL: number;
  export const MAX_PROTOCOL: number;
  export const ErrorCode: Readonly<Record<string, string>> & {
    UNAVAILABLE: string;
    INVALID_REQUEST: string;
  };
}
