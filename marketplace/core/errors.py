"""Domain errors. Operations raise them; one handler turns them into 4xx pages or JSON."""


class DomainError(Exception):
    status = 400
    code = "error"
    default_message = "请求无法处理"

    def __init__(self, message=None, *, code=None, fields=None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields or {}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    default_message = "请求格式不正确"


class NotAuthenticated(DomainError):
    status = 401
    code = "unauthorized"
    default_message = "请先登录"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"
    default_message = "您没有执行此操作的权限"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "未找到该对象，或您无权查看"


class Gone(DomainError):
    status = 410
    code = "gone"
    default_message = "该对象已不存在"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "当前状态下不能执行此操作"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    default_message = "提交的内容有误，请检查标出的字段"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_message = "操作过于频繁，请稍后再试"

    def __init__(self, message=None, *, retry_after, code=None, fields=None):
        super().__init__(message, code=code, fields=fields)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
