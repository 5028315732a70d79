import { agentChat } from './agent-chat.js';
import { approval } from './approval.js';
import { documentArchive } from './document-archive.js';
import { documentPipeline } from './document-pipeline.js';
import { onboarding } from './onboarding.js';
import { orderFulfilment } from './order-fulfilment.js';
import { documentReview, orderPayment } from './order-payment.js';
import { supportReply } from './support-reply.js';

export { agentChat, approval, documentArchive, documentPipeline, documentReview, onboarding, orderFulfilment, orderPayment, supportReply };
export { provisionAccount } from './onboarding.js';

/** The registry `weft dev` serves: key -> workflow. */
export const workflows = {
  'order-fulfilment': orderFulfilment,
  'document-pipeline': documentPipeline,
  'document-archive': documentArchive,
  'expense-approval': approval,
  onboarding,
  'support-reply': supportReply,
  'order-payment': orderPayment,
  'document-review': documentReview,
  'agent-chat': agentChat,
};
