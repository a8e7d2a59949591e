import { EntityManager } from 'typeorm';
import { FineTuneEvent } from '../../schema/fine-tuning/fine-tune-event.entity';
import { FineTuneEventLevel, FineTuneEventType } from '../../schema/fine-tuning/fine-tuning.enums';

/** Appends a MESSAGE event to a job's log. */
export function logMessage(db: EntityManager, jobId: string, message: string, level = FineTuneEventLevel.INFO, at = new Date()): Promise<FineTuneEvent> {
  return db.save(db.create(FineTuneEvent, { jobId, at, level, type: FineTuneEventType.MESSAGE, message, metrics: null }));
}

/** Appends a METRICS event (e.g. an epoch's train_loss, valid_loss, valid_accuracy). */
export function logMetrics(db: EntityManager, jobId: string, message: string, metrics: Record<string, number>, at = new Date()): Promise<FineTuneEvent> {
  return db.save(db.create(FineTuneEvent, { jobId, at, level: FineTuneEventLevel.INFO, type: FineTuneEventType.METRICS, message, metrics }));
}

/** A job's events, oldest first. */
export function eventsOf(db: EntityManager, jobId: string): Promise<FineTuneEvent[]> {
  return db.find(FineTuneEvent, { where: { jobId }, order: { at: 'ASC', id: 'ASC' } });
}
