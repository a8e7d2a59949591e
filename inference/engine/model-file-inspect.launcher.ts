import { startInspectionProcess, superviseInspection, type InspectAnswer, type InspectRequest } from './model-file.inspector';

// Child-process entry of the model inspector's launcher: a small process started at the server's
// first inspection (no onnxruntime in it), which starts a fresh inspection process per file and sends
// back the verdict. NOTE: a process is forked from this one, not from the server: forking
// copies the parent's page tables, and from a server holding a gigabyte (models, the
// training table) that stalled the server's event loop 20-70 ms per publish. Each file is
// still inspected in a process of its own, so a file that crashes or stalls the loader takes
// down only that one.

process.on('message', (request: InspectRequest) => {
  void superviseInspection(request.path, request, startInspectionProcess).then((result) => process.send!({ id: request.id, result } satisfies InspectAnswer));
});
// the server went away: so does the launcher
process.on('disconnect', () => process.exit(0));
