/** A request carried out, but not quite as asked: the caller is told what differs, naming the field. */
export interface Notice {
  field: string;
  message: string;
}
