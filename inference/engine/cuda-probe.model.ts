/**
 * A tiny ONNX model (Identity, float32 [1]) used to find out whether the CUDA execution
 * provider loads on a device, before any real model arrives. Built once with the model
 * kit's OnnxGraphBuilder and embedded, so worker start-up needs no protobuf library.
 */
export const CUDA_PROBE_MODEL_BASE64 =
  'CAgSDGVuZ2luZS1wcm9iZRoBMTpMChwKAXgSAXkaCklkZW50aXR5XzAiCElkZW50aXR5EgpjdWRhX3Byb2JlWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQEQ==';
