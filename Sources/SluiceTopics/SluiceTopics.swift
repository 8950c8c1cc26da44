/// The SNS topic layer (in progress): filter policies first; topics, subscriptions and
/// delivery build on the queue engine through a sink protocol.
public enum SluiceTopics {}
