/**
 * The value codec: how values are stored (codec-format.ts), encoded (value-encoder.ts) and decoded
 * (value-decoder.ts). Other modules import it from here.
 */
export { blobRefs, hashText, isEnvelope, needsEnvelope, type StoredBlob } from './codec-format.js';
export {
  CodecProblem,
  encodeLarge,
  forgetBlobs,
  newCodecState,
  reachesSize,
  type CodecOptions,
  type CodecState,
  type EncodedText,
} from './value-encoder.js';
export { MissingBlobError, decodeStored, expandStored, inlineText, type BlobSource } from './value-decoder.js';
