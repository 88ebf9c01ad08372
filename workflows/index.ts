export { pingWorkflow } from './ping';
export { connectionWorkflow } from './connection/workflow';
export { paymentWorkflow } from './payment/workflow';
export { webhookDeliveryWorkflow } from './webhook-delivery/workflow';
