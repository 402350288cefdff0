/** The part of asl-validator (which ships no types) the deployment test uses. */
declare module 'asl-validator' {
  export default function aslValidator(definition: unknown): {
    isValid: boolean;
    errors: readonly { message?: string }[];
    errorsText(separator?: string): string;
  };
}
