/** The ping workflow's rows: proof that worker, activity and database are wired. */
export interface PingRepository {
  /** Once per id (a retried activity writes one row). */
  record(ping: { id: string; message: string; workflowId: string }): Promise<void>;
}
